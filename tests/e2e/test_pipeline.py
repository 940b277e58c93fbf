"""End to end: the real `dvc repro` on a tiny copy of the project (two fixture datasets,
English and Chinese, served from a fixture mirror, with tiny fixture vectors), through every
stage. Slow-marked: `make test` runs it, `make test-fast` skips it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from snntext.core.stage_metrics import HEADLINE, read_stage_metrics
from tests.e2e import tiny_project

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets"

TINY_PARAMS = {
    "seed": 0,
    "seeds": [0, 1],  # two fine-tunings per dataset: the per-seed path through to the report's mean ± std
    "datasets": ["tiny_en", "tiny_zh"],
    "threshold": 1.0,
    "beta": 1.0,
    "timesteps": 8,
    "neurons_per_class": 2,
    "surrogate": "fast_sigmoid",
    "surrogate_slope": 25,
    "device": "cpu",
    "prepare": {"test_fraction": 0.2, "dev_fraction": 0.2, "conflicting_duplicates": "keep"},
    "embed": {
        "english": "tiny-glove",
        "chinese": "tiny-w2v",
        "oov": "paper",
        "clip_sigma": 3.0,
        "code": "shift",
        "compare": [],
    },
    "train_dnn": {
        "epochs": 10,
        "patience": 0,
        "batch_size": 16,
        "lr": 1.0e-2,
        "weight_decay": 0.0,
        "dropout": 0.1,
        "zero_sum_filters": True,
        "rate_code_steps": 8,
        "kernel_sizes": [2, 3],
        "filters": 8,
    },
    "kim": {
        "epochs": 10,
        "patience": 0,
        "batch_size": 16,
        "lr": 1.0e-2,
        "weight_decay": 0.0,
        "dropout": 0.1,
        "kernel_sizes": [2, 3],
        "filters": 8,
    },
    "convert": {"normalisation": "data_p99.9", "eval_batch_size": 64},
    "finetune": {
        "epochs": 2,
        "lr": 1.0e-3,
        "weight_decay": 0.0,
        "batch_size": 16,
        "loss": "paper",
        "temperature": 1.0,
        "patience": 0,
        "zero_sum_filters": True,
        "test_draws": 2,
    },
    "attack": {
        "examples": 3,
        "recipes": ["deepwordbug", "textfooler"],
        "models": ["dnn", "snn"],
        "spike_samples": 1,
        "similarity": 0.85,
        "batch_size": 64,
        "backend": "ray",
        "workers": 2,
        "shard_size": 2,
        "retries": 1,
    },  # the Ray path, end to end
    "sweep": {"timesteps": [1, 4, 8], "splits": ["test", "dev"], "batch_size": 64},
    "direct": {
        "epochs": 2,
        "lr": 5.0e-3,
        "weight_decay": 0.0,
        "batch_size": 16,
        "loss": "count",
        "temperature": 1.0,
        "beta": 0.95,
        "zero_sum_filters": True,
        "patience": 0,
        "dev_draws": 1,
    },
}


def _copy_project(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    for name in filter(None, files):
        src = ROOT / name
        # the report's committed inputs, written by scripts/run_energy_grid.py and scripts/run_seed_study.py
        committed_input = name in ("metrics/energy_grid.json", "metrics/seed_study.json") or name.startswith(
            "metrics/attack_study/"  # the paper-scale study's records (scripts/run_attack_study.py)
        )
        if (
            not src.is_file()
            or (name.startswith(("metrics/", "reports/")) and not committed_input)
            or name == "dvc.lock"
        ):
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """Run cmd; its output also goes to <cwd>/../<cmd>.log so a slow or failed run can be read."""
    log = cwd.parent / f"{'-'.join(cmd[:2])}.log"
    with open(log, "w") as out:
        done = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=1500)
    text = log.read_text()
    assert done.returncode == 0, f"{' '.join(cmd)} failed (log {log}):\n{text[-6000:]}"
    done.stdout = text
    return done


def tiny_repo(base: Path, params: dict) -> tuple[Path, dict]:
    """The project copied to base/repo over the tiny datasets and mirror (base/mirror), with `params`,
    committed to a fresh git repository; returns (repo, the environment to run dvc in). Skips the test
    when the shared mirror lacks the attack's real NLTK stopwords and WordNet lexnames."""
    real = yaml.safe_load((ROOT / "src/snntext/core/sources.yaml").read_text(encoding="utf-8"))["resources"]
    if not all((SHARED / r["group"] / r["name"]).is_file() for r in real.values()):
        pytest.skip(f"needs the shared mirror {SHARED} for the attack resources")
    repo = base / "repo"
    _copy_project(repo)
    registry = tiny_project.build(base)
    mirror = base / "mirror"
    for key, resource in real.items():
        (mirror / resource["group"]).mkdir(parents=True, exist_ok=True)
        shutil.copy2(SHARED / resource["group"] / resource["name"], mirror / resource["group"] / resource["name"])
        registry["resources"][key] = resource
    tiny_project.write_registry(registry, repo / "src/snntext/core/sources.yaml")
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SNNTEXT_MIRROR": str(mirror),
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    env.pop("SNNTEXT_ROOT", None)
    _run(["git", "init", "-q"], repo, env)
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-qm", "tiny"], repo, env)
    return repo, env


@pytest.mark.slow
def test_dvc_repro_runs_every_stage_on_tiny_data(tmp_path):
    repo, env = tiny_repo(tmp_path, TINY_PARAMS)
    repro = _run(["dvc", "repro"], repo, env)

    metrics = repo / "metrics"
    for ds in TINY_PARAMS["datasets"]:
        prepared = json.loads((metrics / "prepare" / f"{ds}.json").read_text())
        assert sum(s["count"] for s in prepared["splits"].values()) == 240
        embedded = json.loads((metrics / "embed" / f"{ds}.json").read_text())
        assert embedded["coverage"]["token_coverage"] > 0.9
        dnn = read_stage_metrics("train_dnn", ds, metrics)
        # the tiny task is learnable; Kim (biases, max pooling) learns more slowly on [0,1] inputs, as on real data
        assert dnn["dnn_dev_acc"] > 0.75 and dnn["kim_dev_acc"] > 0.6, dnn
        assert dnn["dnn_rate_code_steps"] == 8
        converted = read_stage_metrics("convert", ds, metrics)
        assert set(converted["options"]) == {"none", "max_weight", "data_max", "data_p99.9"}
        tuned = read_stage_metrics("finetune", ds, metrics)
        assert set(json.loads((metrics / "finetune" / f"{ds}.json").read_text())) == set(HEADLINE["finetune"])
        assert tuned["test_acc"] > 0.6, tuned
        assert tuned["energy"]["total_uj"] > 0
        assert set(tuned["per_seed"]) == {"0", "1"}
        assert (
            tuned["paired_gap"]["draws"] == 2
            and tuned["paired_gap"]["sentences"] == prepared["splits"]["test"]["count"]
        )
        attacked = read_stage_metrics("attack", ds, metrics)
        assert set(attacked["models"]) == {"dnn", "snn"}
        swept = json.loads((metrics / "sweep" / f"{ds}.json").read_text())
        assert swept["timesteps"] == [1, 4, 8]
        assert set(swept["dnn_rate_coded"]["test"]) == {"1", "4", "8"}
        assert set(converted["dnn_rate_coded"]) == {str(converted["timesteps"]), str(4 * converted["timesteps"])}
        direct = json.loads((metrics / "train_direct" / f"{ds}.json").read_text())
        assert 0.0 <= direct["test_mean"] <= 1.0 and (metrics / "train_direct" / f"{ds}_history.csv").is_file()
        random = json.loads((metrics / "random_embeddings" / f"{ds}.json").read_text())
        assert 0.0 <= random["snn_test_mean"] <= 1.0 and 0.0 <= random["dnn_test_acc"] <= 1.0
        per_sentence = json.loads((metrics / "energy" / f"{ds}.json").read_text())["splits"]["test"]["accountings"]
        # the paper accounting's mean is the finetune stage's figure: the same seed's draw of the same network
        assert per_sentence["paper"]["snn_uj"]["mean"] == pytest.approx(tuned["energy"]["total_uj"], rel=1e-4)
        assert per_sentence["fair"]["dnn_uj"]["mean"] <= per_sentence["paper"]["dnn_uj"]["mean"]
    reports = repo / "reports"
    accuracy = (reports / "accuracy.md").read_text()
    assert "tiny_en" in accuracy and "tiny_zh" in accuracy
    assert "Tailored DNN on rate-coded input" in accuracy
    assert "| Tailored DNN (ours, trained on rate-coded input, T = 8) |" in accuracy
    assert "| Fine-tuned SNN (ours) |" in accuracy and "±" in accuracy
    assert "over 2 test spike draws" in accuracy and "paired bootstrap over test sentences" in accuracy
    assert "## Without conversion, without pre-training" in accuracy and "What pre-trained vectors buy" in accuracy
    assert (
        "## Per sentence, both networks charged for the same positions (headline)"
        in (reports / "energy.md").read_text()
    )
    for name in ("energy.md", "robustness.md", "README.md"):
        assert (reports / name).stat().st_size > 0
    assert list((reports / "figures").glob("*.png"))
    assert "Running stage 'report'" in repro.stdout
    # nothing left to do: the lock file matches what ran
    status = _run(["dvc", "status"], repo, env)
    assert "up to date" in status.stdout, status.stdout
    # a bad value stops at the check_params stage: no stage runs, no output is removed or rewritten
    before = {
        p: p.read_bytes()
        for p in sorted(metrics.rglob("*")) + sorted((repo / "data" / "models").rglob("*.pt"))
        if p.is_file()
    }
    (repo / "params.yaml").write_text(
        yaml.safe_dump({**TINY_PARAMS, "threshold": 0}, sort_keys=False), encoding="utf-8"
    )
    failed = subprocess.run(["dvc", "repro"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert failed.returncode != 0
    assert "key 'threshold' must be > 0, got 0" in failed.stdout + failed.stderr
    assert "Running stage 'convert@" not in failed.stdout
    assert {p: p.read_bytes() for p in before if p.is_file()} == before

    # the low-energy profile's input code (README, "Low-energy profile") through every stage, attack included:
    # a signed table has two channels per dimension, and the attacks' new words must join it in that code
    _run(["git", "checkout", "params.yaml"], repo, env)
    _run(["dvc", "exp", "run", "-S", "embed.code=signed", "attack"], repo, env)  # embed to attack
    for ds in TINY_PARAMS["datasets"]:
        assert read_stage_metrics("embed", ds, metrics)["input_code"] == "signed"
        tuned = read_stage_metrics("finetune", ds, metrics)
        assert tuned["test_acc"] > 0.6 and tuned["energy"]["total_uj"] > 0, tuned
        assert set(read_stage_metrics("attack", ds, metrics)["models"]) == {"dnn", "snn"}
