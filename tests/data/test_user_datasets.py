"""The user's datasets.yaml beside the shipped registry: new datasets by configuration alone.

Entries add datasets (a shipped key is refused naming both files), a broken entry breaks only its
own dataset, local `path` files are pinned in datasets.lock on first use and checked after, and
the stages and dvc.yaml read the file."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from snntext.core import paths
from snntext.core.errors import SnntextError
from snntext.core.registry import load_registry
from snntext.data.download import fetch_all, read_lock

ROOT = Path(__file__).resolve().parents[2]
MIRROR = ROOT.parent / "shared" / "datasets"
SOURCES = paths.SOURCES_FILE


def entry(**changes) -> dict:
    data = {
        "display_name": "Questions",
        "language": "en",
        "format": "label_first",
        "labels": ["what", "who"],
        "max_len": 10,
        "files": [{"path": "data/external/q.txt"}],
    }
    data.update(changes)
    return data


def user_file(folder: Path, datasets, text: str | None = None) -> Path:
    path = folder / "datasets.yaml"
    path.write_text(text if text is not None else yaml.safe_dump({"datasets": datasets}), encoding="utf-8")
    return path


def test_user_entry_adds_a_dataset_with_defaults(tmp_path):
    reg = load_registry(SOURCES, user_file(tmp_path, {"q": entry()}))
    q = reg.dataset("q")
    assert q.title == "Questions" and q.origin == str(tmp_path / "datasets.yaml")
    f = q.files[0]
    assert (f.group, f.name, f.path, f.url, f.sha256, f.encoding) == (
        "q",
        "q.txt",
        "data/external/q.txt",
        None,
        None,
        "utf-8",
    )
    assert reg.dataset("mr").title == "MR"  # the shipped ones are still there
    assert load_registry(SOURCES, user_file(tmp_path, {"q": entry(display_name=None)})).dataset("q").title == "q"


def test_the_committed_datasets_yaml_is_empty_and_its_example_is_valid(tmp_path):
    assert load_registry().dataset_names == {"mr", "sst2", "sst5", "subj", "chnsenti", "waimai"}
    text = (ROOT / "datasets.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == {"datasets": {}}
    example = text.split("# Example", 1)[1].splitlines()[1:]
    body = "\n".join(line[3:] for line in example if line.startswith("#   "))
    reg = load_registry(SOURCES, user_file(tmp_path, None, "datasets:\n" + re.sub("(?m)^", "  ", body)))
    assert reg.broken == {} and reg.dataset("trec").labels == ["DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM"]


def test_the_walkthrough_yaml_is_valid(tmp_path):
    doc = (ROOT / "docs" / "add-a-dataset.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S) if b.startswith("datasets:")]
    assert blocks
    for block in blocks:
        reg = load_registry(SOURCES, user_file(tmp_path, None, block))
        assert reg.broken == {} and reg.user_error is None and len(reg.datasets) == 7, block


def test_a_shipped_key_is_refused_naming_both_files(tmp_path):
    path = user_file(tmp_path, {"mr": entry(), "q": entry()})
    reg = load_registry(SOURCES, path)
    with pytest.raises(SnntextError) as err:
        reg.dataset("mr")
    assert str(err.value) == f"{path}: datasets.mr: already defined in {SOURCES}; choose another key"
    assert reg.dataset("q").name == "q"


@pytest.mark.parametrize(
    "changes, key, words",
    [
        ({"files": [{"path": "a.txt", "url": "https://e.org/a"}]}, "files[0]", "either 'url'"),
        ({"files": [{"url": "https://e.org/a"}]}, "files[0].sha256", "missing key"),
        ({"files": [{"url": "https://e.org/a", "sha256": None}]}, "files[0].sha256", "64 lower-case hex"),
        (
            {"files": [{"path": "a", "split": "train"}, {"path": "b", "split": "dev"}]},
            "files",
            "splits given: train, dev",
        ),
        ({"files": [{"path": "a", "label": "who"}]}, "files[0].label", "only for format polarity_files"),
        ({"format": "polarity_files", "files": [{"path": "a", "label": "why"}]}, "files[0].label", "label names"),
        ({"format": "table", "text_column": "s"}, "label_column", "missing key"),
        ({"format": "table", "text_column": "s", "label_column": "l", "delimiter": "ab"}, "delimiter", "one character"),
        ({"format": "table", "text_column": "s", "label_column": "l", "quoting": "all"}, "quoting", "csv, none"),
        ({"labels": ["a", "a"]}, "labels", "distinct"),
        ({"colour": "red"}, "colour", "unknown key"),
    ],
)
def test_a_broken_user_entry_breaks_only_that_dataset(tmp_path, changes, key, words):
    path = user_file(tmp_path, {"bad": entry(**changes), "good": entry()})
    reg = load_registry(SOURCES, path)
    assert set(reg.datasets) >= {"mr", "good"} and set(reg.broken) == {"bad"}
    with pytest.raises(SnntextError) as err:
        reg.dataset("bad")
    message = str(err.value)
    assert message.startswith(f"{path}: datasets.bad.{key}:") and words in message and "\n" not in message


def test_an_unreadable_user_file_leaves_the_shipped_datasets(tmp_path):
    path = user_file(tmp_path, None, "datasets:\n  q: [unclosed\n")
    reg = load_registry(SOURCES, path)
    assert reg.dataset("mr").name == "mr"
    with pytest.raises(SnntextError, match=rf"{re.escape(str(path))} line \d+: not valid YAML.*dataset 'q' is not in"):
        reg.dataset("q")
    reg = load_registry(SOURCES, user_file(tmp_path, None, "vectors: {}\n"))
    with pytest.raises(SnntextError, match=r"\(top level\)\.vectors: unknown key; allowed: datasets"):
        reg.dataset("q")
    assert load_registry(SOURCES, user_file(tmp_path, None, "# nothing yet\n")).broken == {}


def test_check_params_accepts_user_and_broken_keys_and_names_both_files(tmp_path, monkeypatch):
    from snntext.core.params import load_config
    from tests.params_helper import write_params

    path = user_file(tmp_path, {"q": entry(), "bad": entry(max_len=0)})
    reg = load_registry(SOURCES, path)
    params = write_params(tmp_path / "params.yaml", {"datasets": ["mr", "q", "bad"]})
    assert load_config(params, reg).run.datasets == ("mr", "q", "bad")  # bad: its own stages say why
    write_params(params, {"datasets": ["mr", "nosuch"]})
    with pytest.raises(
        SnntextError,
        match=rf"names 'nosuch', which {re.escape(str(SOURCES))} with "
        rf"{re.escape(str(path))} does not define",
    ):
        load_config(params, reg)


# ---------------------------------------------------------------- local files and datasets.lock


def local_registry(tmp_path: Path, files: list[dict], monkeypatch) -> tuple:
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    return load_registry(SOURCES, user_file(tmp_path, {"q": entry(files=files)})), tmp_path / "datasets.lock"


def test_a_local_file_is_pinned_on_first_use_and_checked_after(tmp_path, monkeypatch):
    source = tmp_path / "data" / "external" / "q.txt"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"what what is it ?\n")
    reg, lock = local_registry(tmp_path, [{"path": "data/external/q.txt"}], monkeypatch)
    raw = tmp_path / "data" / "raw" / "q"
    first = fetch_all(reg, ["q"], [], raw_dir=raw, lock_file=lock)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert (raw / "q" / "q.txt").read_bytes() == source.read_bytes() and first.fetched == 1
    assert read_lock(lock) == {"q": {"q/q.txt": digest}}
    assert lock.read_text().startswith("# sha256 of each local `path` file")
    again = fetch_all(reg, ["q"], [], raw_dir=raw, lock_file=lock)
    assert (again.fetched, again.up_to_date) == (0, 1)

    source.write_bytes(b"who changed it ?\n")
    with pytest.raises(SnntextError) as err:
        fetch_all(reg, ["q"], [], raw_dir=raw, lock_file=lock)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'datasets.yaml'}: datasets.q.files[0].path: {source} has sha256 ")
    assert f"but {lock} (recorded on first use) says {digest}: the file changed" in message
    assert "delete its line under 'q'" in message
    assert (raw / "q" / "q.txt").read_bytes() == b"what what is it ?\n"  # the old copy stays
    lock.write_text("q: {}\n")  # the user accepts the new file
    fetch_all(reg, ["q"], [], raw_dir=raw, lock_file=lock)
    assert (raw / "q" / "q.txt").read_bytes() == b"who changed it ?\n"


def test_a_local_file_with_its_own_sha256_and_a_missing_file(tmp_path, monkeypatch):
    source = tmp_path / "q.txt"
    source.write_bytes(b"who is it ?\n")
    reg, lock = local_registry(tmp_path, [{"path": str(source), "sha256": "0" * 64}], monkeypatch)
    with pytest.raises(SnntextError, match=r"says 0{64}: the file changed; restore the file, or update that sha256"):
        fetch_all(reg, ["q"], [], raw_dir=tmp_path / "raw", lock_file=lock)
    reg, lock = local_registry(tmp_path, [{"path": "nowhere/q.txt"}], monkeypatch)
    with pytest.raises(SnntextError, match=r"datasets.q.files\[0\].path: .*nowhere/q.txt is not a file"):
        fetch_all(reg, ["q"], [], raw_dir=tmp_path / "raw", lock_file=lock)
    assert not (tmp_path / "raw").exists() and not lock.exists()


# ---------------------------------------------------------------- the stages and dvc.yaml


def run_stage(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SNNTEXT_ROOT": str(root), "PYTHONPATH": str(ROOT / "src"), "SNNTEXT_MIRROR": str(MIRROR)}
    return subprocess.run(
        [sys.executable, str(ROOT / "stages" / "download.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not (MIRROR / "mr").is_dir(), reason="shared dataset mirror not present")
def test_download_of_mr_works_while_another_entry_is_broken(tmp_path):
    path = user_file(tmp_path, {"broken": entry(language="fr")})
    done = run_stage(tmp_path, "mr")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "raw" / "mr" / "mr" / "rt-polarity.pos").is_file()
    done = run_stage(tmp_path, "broken")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"error: {path}: datasets.broken.language: 'fr' is not one of: en, zh\n"
    assert not (tmp_path / "data" / "raw" / "broken").exists()


def test_dvc_stages_that_read_the_registry_depend_on_datasets_yaml():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for name in ("check_params", "download", "download_vectors", "prepare", "embed", "attack", "report"):
        body = stages[name].get("do", stages[name])
        assert "datasets.yaml" in body["deps"], name
        assert "src/snntext/core/sources.yaml" in body["deps"], name
