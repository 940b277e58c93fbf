"""Nothing lost, ever: what a refused value can do to the outputs, on the real `dvc` and a tiny project.

The tiny copy of tests/e2e/test_pipeline.py (two fixture datasets, every stage) is built and `dvc repro`-ed
once for the module, and everything it made is committed. Each case hashes every file under data/,
metrics/ and reports/, runs a command that is refused, and checks the result against
docs/reproducibility.md ("What a failed run can and cannot touch"):

- `dvc repro` and `dvc repro -s <stage>` (check_params, convert, train_dnn, report): the refusing stage's
  outputs are `persist: true`, so no file changes at all, and once params.yaml is back `dvc status` is clean;
- `dvc exp run -S` in the workspace: DVC's own pre-run checkout may delete the cached outputs of the
  datasets the new value drops (every one of them in the DVC cache); nothing else changes, and
  `git checkout params.yaml && dvc checkout` gives back every byte;
- `dvc exp run --temp`: the workspace, untracked files included, is not touched.

Slow-marked: one `dvc repro` of the tiny project (about 90 s on 2 cores), then 4-25 s a case; under 3 min in all.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.test_pipeline import TINY_PARAMS, _run, tiny_repo

pytestmark = pytest.mark.slow

# TINY_PARAMS made cheaper: one seed, fewer epochs, attack shards run in the stage's process (no Ray).
PARAMS = {
    **TINY_PARAMS,
    "seeds": [],
    "train_dnn": {**TINY_PARAMS["train_dnn"], "epochs": 3},
    "kim": {**TINY_PARAMS["kim"], "epochs": 3},
    "finetune": {**TINY_PARAMS["finetune"], "epochs": 1},
    "direct": {**TINY_PARAMS["direct"], "epochs": 1},
    "attack": {**TINY_PARAMS["attack"], "backend": "local"},
    "sweep": {**TINY_PARAMS["sweep"], "splits": ["test"]},
}
TRACKED = ("data", "metrics", "reports")
INJECTION = "x'; touch pwned; echo '"


def snapshot(repo: Path) -> dict[str, str]:
    """sha256 of every file under data/, metrics/ and reports/, by path relative to the repo."""
    return {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for top in TRACKED
        for p in sorted((repo / top).rglob("*"))
        if p.is_file()
    }


def mtimes(repo: Path) -> dict[str, int]:
    return {str(p.relative_to(repo)): p.stat().st_mtime_ns for top in TRACKED for p in (repo / top).rglob("*")}


def in_dvc_cache(repo: Path, path: str, baseline_bytes: dict[str, bytes]) -> bool:
    """Whether the baseline bytes of `path` are in the project's DVC cache (so `dvc checkout` restores them)."""
    md5 = hashlib.md5(baseline_bytes[path]).hexdigest()
    return (repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).is_file()


def dvc(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["dvc", *args], cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600
    )


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")]


def remove_empty_folders(repo: Path) -> None:
    for top in TRACKED:
        for folder in sorted((repo / top).rglob("*"), key=lambda p: -len(p.parts)):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def assert_restored(project) -> None:
    """params.yaml (and dvc.lock) from git, cached outputs from the DVC cache: the module's baseline again."""
    repo, env, baseline, _ = project
    _run(["git", "checkout", "--", "params.yaml", "dvc.lock"], repo, env)
    _run(["dvc", "checkout"], repo, env)
    remove_empty_folders(repo)  # left by DVC's checkout for outputs of the refused value (data/models/MR)
    assert snapshot(repo) == baseline
    assert "up to date" in _run(["dvc", "status"], repo, env).stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The tiny project after `dvc repro`, all committed: (repo, env, baseline hashes, baseline bytes)."""
    repo, env = tiny_repo(tmp_path_factory.mktemp("nothing_lost"), PARAMS)
    _run(["dvc", "repro"], repo, env)
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-qm", "repro"], repo, env)
    baseline = snapshot(repo)
    # every kind of output is there: cached data, models, kept attack shards, metrics, reports
    for path in (
        "data/params_checked.txt",
        "data/raw/tiny_en/tiny_en/tiny.pos",
        "data/prepared/tiny_zh/train.tsv",
        "data/embedded/tiny_en/table.npy",
        "data/models/tiny_zh/snn.pt",
        "metrics/convert/tiny_en.json",
        "reports/accuracy.md",
    ):
        assert path in baseline, path
    assert any(p.startswith("data/attack/tiny_en/shards/") for p in baseline)
    return repo, env, baseline, {p: (repo / p).read_bytes() for p in baseline}


# (what is set, error line, whether the value drops the committed datasets from the pipeline)
EXP_RUN_CASES = [
    ("datasets=[MR]", "key 'datasets' item 0 ('MR') must be a dataset name", True),
    (f'datasets=["{INJECTION}"]', "must be a dataset name of lowercase letters", True),
    ("threshold=0", "key 'threshold' must be > 0, got 0", False),
]


@pytest.mark.parametrize("setting, error, drops", EXP_RUN_CASES, ids=["MR", "injection", "threshold"])
def test_a_refused_exp_run_removes_only_what_dvc_checkout_restores(project, setting, error, drops):
    repo, env, baseline, baseline_bytes = project
    done = dvc(repo, env, "exp", "run", "-S", setting)
    assert done.returncode != 0 and error in done.stdout, done.stdout
    assert stages_run(done.stdout) == ["check_params"], done.stdout
    assert not (repo / "pwned").exists()
    after = snapshot(repo)
    gone_or_changed = sorted(p for p in baseline if after.get(p) != baseline[p])
    print(f"\n{setting}: {len(gone_or_changed)} of {len(baseline)} files removed by DVC's pre-run checkout")
    assert set(after) <= set(baseline)  # nothing new, nothing half-written
    if not drops:
        assert gone_or_changed == []
    # what went: cached outputs only (in the DVC cache); metrics, reports and the check's output stay
    assert all(not p.startswith(("metrics/", "reports/")) for p in gone_or_changed), gone_or_changed
    assert "data/params_checked.txt" not in gone_or_changed
    assert [p for p in gone_or_changed if not in_dvc_cache(repo, p, baseline_bytes)] == []
    assert all(p not in gone_or_changed for p in baseline if p.startswith(("data/raw/vectors", "data/raw/resources")))
    assert_restored(project)


# (params.yaml change, `dvc repro -s` target or None for a whole `dvc repro`, the refusing stage, error line)
REPRO_CASES = [
    ({"threshold": 0}, "convert@tiny_en", "convert@tiny_en", "key 'threshold' must be > 0, got 0"),
    ({"neurons_per_class": 0}, "train_dnn@tiny_en", "train_dnn@tiny_en", "key 'neurons_per_class' must be >= 1"),
    ({"threshold": 0}, "report", "report", "key 'threshold' must be > 0, got 0"),
    ({"threshold": 0}, None, "check_params", "key 'threshold' must be > 0, got 0"),
]


@pytest.mark.parametrize(
    "change, target, refused_by, error", REPRO_CASES, ids=["convert", "train_dnn", "report", "all"]
)
def test_a_refused_repro_touches_nothing(project, change, target, refused_by, error):
    repo, env, baseline, _ = project
    before = mtimes(repo)
    (repo / "params.yaml").write_text(yaml.safe_dump({**PARAMS, **change}, sort_keys=False), encoding="utf-8")
    done = dvc(repo, env, "repro", *(["-s", target] if target else []))
    assert done.returncode != 0 and error in done.stdout, done.stdout
    assert stages_run(done.stdout) == [refused_by], done.stdout
    assert snapshot(repo) == baseline and mtimes(repo) == before  # no file removed, rewritten or touched
    _run(["git", "checkout", "--", "params.yaml"], repo, env)
    assert "up to date" in _run(["dvc", "status"], repo, env).stdout  # nothing to re-run: data/params_checked.txt kept


def test_exp_run_temp_leaves_the_workspace_alone(project):
    """`dvc exp run --temp` runs in a copy: even files DVC does not know (an unfinished attack shard, a
    user's source file) come through a dropped dataset list."""
    repo, env, baseline, _ = project
    extra = {
        repo / "data" / "attack" / "tiny_en" / "shards" / "unfinished-000004.json": b"{}\n",
        repo / "data" / "external" / "user.csv": b"text,label\n",
    }
    for path, data in extra.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    done = dvc(repo, env, "exp", "run", "--temp", "-S", "datasets=[MR]")
    assert done.returncode != 0 and "must be a dataset name" in done.stdout, done.stdout
    assert all(path.read_bytes() == data for path, data in extra.items())
    for path in extra:
        path.unlink()
    (repo / "data" / "external").rmdir()
    assert snapshot(repo) == baseline
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout == ""


def test_exp_show_of_a_one_key_experiment_fits_120_columns(project):
    """check_params tracks params.yaml as params, not as a file: no params.yaml hash column."""
    repo, env, _, _ = project
    for value in ("0.9", "0.8"):
        _run(["dvc", "exp", "run", "-S", f"threshold={value}", "check_params"], repo, env)
    header = _run(["dvc", "exp", "show", "--only-changed", "--csv"], repo, env).stdout.splitlines()[0]
    table = _run(["dvc", "exp", "show", "--only-changed"], repo, {**env, "COLUMNS": "120"}).stdout
    width = max(len(line) for line in table.splitlines())
    print(f"\ndvc exp show --only-changed: {header}; {width} characters wide")
    assert header.split(",") == ["Experiment", "rev", "typ", "Created", "threshold"]
    assert width <= 120
    _run(["dvc", "exp", "remove", "--all-commits"], repo, env)
    assert_restored(project)
