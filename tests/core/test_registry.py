"""The registry loader: the real sources.yaml loads and matches the mirror; bad entries name their key."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from snntext.core import paths
from snntext.core.errors import SnntextError
from snntext.core.registry import DatasetSpec, Registry, SourceFile, VectorSpec, load_registry

MIRROR = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"

SHA_A = "a" * 64
GOOD = {
    "datasets": {
        "mr": {
            "language": "en",
            "format": "polarity_files",
            "labels": ["negative", "positive"],
            "max_len": 35,
            "files": [
                {
                    "group": "mr",
                    "name": "neg",
                    "label": 0,
                    "encoding": "cp1252",
                    "sha256": SHA_A,
                    "url": "https://example.org/neg",
                },
                {
                    "group": "mr",
                    "name": "pos",
                    "label": 1,
                    "encoding": "cp1252",
                    "sha256": "b" * 64,
                    "url": "https://example.org/pos",
                },
            ],
        }
    },
    "vectors": {
        "tiny": {
            "language": "en",
            "format": "glove_text",
            "dim": 3,
            "file": {"group": "vectors", "name": "tiny.zip", "sha256": None, "url": "https://example.org/tiny.zip"},
            "members": {"vectors": "tiny/vec.txt"},
        }
    },
    "resources": {"stop": {"group": "nltk", "name": "stop.zip", "sha256": "c" * 64, "url": "https://e.org/s"}},
}


def write_registry(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_small_registry_loads_into_frozen_specs(tmp_path):
    reg = load_registry(write_registry(tmp_path, GOOD))
    assert isinstance(reg, Registry)
    mr = reg.dataset("mr")
    assert isinstance(mr, DatasetSpec) and mr.language == "en" and mr.max_len == 35
    assert mr.files[0] == SourceFile(
        group="mr", name="neg", url="https://example.org/neg", sha256=SHA_A, encoding="cp1252", label=0, split=None
    )
    tiny = reg.vector("tiny")
    assert isinstance(tiny, VectorSpec) and tiny.file.sha256 is None and tiny.members == {"vectors": "tiny/vec.txt"}
    assert reg.resources["stop"].key == "nltk/stop.zip"
    with pytest.raises(dataclasses.FrozenInstanceError):
        mr.files[0].sha256 = "x"  # frozen


@pytest.mark.parametrize(
    "mutate, key, words",
    [
        (lambda d: d["datasets"]["mr"]["files"][0].update(sha256="xyz"), "datasets.mr.files[0].sha256", "64"),
        (lambda d: d["datasets"]["mr"]["files"][1].update(sha256=SHA_A.upper()), "datasets.mr.files[1].sha256", "hex"),
        (lambda d: d["datasets"]["mr"]["files"][0].pop("url"), "datasets.mr.files[0].url", "missing"),
        (lambda d: d["datasets"]["mr"]["files"][0].pop("encoding"), "datasets.mr.files[0].encoding", "missing"),
        (
            lambda d: d["datasets"]["mr"]["files"][0].update(encoding="klingon"),
            "datasets.mr.files[0].encoding",
            "unknown",
        ),
        (lambda d: d["datasets"]["mr"]["files"][0].update(name="../x"), "datasets.mr.files[0].name", "plain"),
        (lambda d: d["datasets"]["mr"]["files"][0].update(label=None), "datasets.mr.files[0].label", "missing"),
        (lambda d: d["datasets"]["mr"]["files"][0].update(label=2), "datasets.mr.files[0].label", "out of range"),
        (lambda d: d["datasets"]["mr"]["files"][0].update(shaa256=SHA_A), "datasets.mr.files[0].shaa256", "unknown"),
        (lambda d: d["datasets"]["mr"].update(format="jsonl"), "datasets.mr.format", "polarity_files"),
        (
            lambda d: d["datasets"]["mr"].update(format="label_first"),
            "datasets.mr.files[0].label",
            "only for format polarity_files",
        ),
        (
            lambda d: d["datasets"]["mr"]["files"][0].update(split="train"),
            "datasets.mr.files",
            "splits given: train, (none)",
        ),
        (lambda d: d["datasets"]["mr"]["files"][1].update(name="neg"), "datasets.mr.files[1].name", "overwrite"),
        (lambda d: d["datasets"]["mr"].update(text_column="x"), "datasets.mr.text_column", "only for format table"),
        (lambda d: d["datasets"]["mr"].update(display_name=""), "datasets.mr.display_name", "non-empty"),
        (lambda d: d["datasets"].update({"My-Set": d["datasets"]["mr"]}), "datasets.My-Set", "lowercase"),
        (lambda d: d["datasets"]["mr"].update(language="fr"), "datasets.mr.language", "en, zh"),
        (lambda d: d["datasets"]["mr"].update(max_len=0), "datasets.mr.max_len", "positive"),
        (lambda d: d["datasets"]["mr"].pop("labels"), "datasets.mr.labels", "missing"),
        (lambda d: d["vectors"]["tiny"].update(format="fasttext_bin"), "vectors.tiny.format", "glove_text"),
        (lambda d: d["vectors"]["tiny"]["file"].update(url="ftp://x/y"), "vectors.tiny.file.url", "http"),
        (
            lambda d: d["vectors"]["tiny"]["members"].update(vectors="../../etc/passwd"),
            "vectors.tiny.members.vectors",
            "relative",
        ),
        (
            lambda d: d["vectors"]["tiny"]["members"].update(words="b/vec.txt"),
            "vectors.tiny.members.words",
            "same file name",
        ),
        (lambda d: d["resources"]["stop"].update(group="mr", name="neg"), "resources.stop", "different sha256"),
    ],
)
def test_bad_entry_names_file_and_key(tmp_path, mutate, key, words):
    """A broken vector or resource stops the load; a broken dataset entry only that dataset."""
    data = copy.deepcopy(GOOD)
    mutate(data)
    path = write_registry(tmp_path, data)
    with pytest.raises(SnntextError) as err:
        registry = load_registry(path)
        for name in data["datasets"]:
            registry.dataset(name)
    message = str(err.value)
    assert str(path) in message
    assert f"{key}:" in message
    assert words is None or words in message


def test_invalid_yaml_names_line(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("datasets:\n  mr: [unclosed\n", encoding="utf-8")
    with pytest.raises(SnntextError, match=r"sources\.yaml line \d+: not valid YAML"):
        load_registry(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b"# caf\xe9\ndatasets: {}\n",
            r" line 1: not UTF-8 text \(invalid continuation byte at byte 5\); save the file as UTF-8",
        ),
        (b"datasets: {}\r\n# \r\n# \xff\n", r" line 3: not UTF-8 text \(invalid start byte at byte 20\)"),
        (b"datasets:\n  q: {}\n  q: {}\n", r" line 3: not valid YAML \(key 'q' is given twice\)"),
        (None, r": is a folder, not a YAML file"),
    ],
    ids=["non-utf8-comment", "non-utf8-crlf", "key-twice", "folder"],
)
def test_an_unreadable_file_is_one_line_naming_it(tmp_path, content, message):
    """Issue 31: the packaged registry stops the load; the user's datasets.yaml breaks only its own datasets."""
    path = tmp_path / "datasets.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(SnntextError, match=rf"^{re.escape(str(path))}{message}"):
        load_registry(path)
    user = load_registry(write_registry(tmp_path, GOOD), path)
    assert user.dataset("mr").name == "mr" and user.user_source == path
    with pytest.raises(SnntextError, match=rf"^{re.escape(str(path))}{message}.*dataset 'q' is not in"):
        user.dataset("q")
    assert "\n" not in str(user.user_error)


def test_a_local_path_is_resolved_against_the_project_root(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    here = SourceFile(group="q", name="q.txt", url=None, sha256=None, path="data/external/q.txt")
    assert here.local_file == tmp_path / "data" / "external" / "q.txt"
    assert dataclasses.replace(here, path="/abs/q.txt").local_file == Path("/abs/q.txt")
    assert dataclasses.replace(here, path=None, url="https://e.org/q").local_file is None


def test_missing_registry_file(tmp_path):
    with pytest.raises(SnntextError, match="source registry not found"):
        load_registry(tmp_path / "nope.yaml")


def test_unknown_names_list_the_valid_ones(tmp_path):
    reg = load_registry(write_registry(tmp_path, GOOD))
    with pytest.raises(SnntextError, match=r"unknown dataset 'imdb'.*defines: mr"):
        reg.dataset("imdb")
    with pytest.raises(SnntextError, match=r"unknown vector 'w2v'.*defines: tiny"):
        reg.vector("w2v")


def test_real_registry_loads():
    reg = load_registry()
    assert reg.source == paths.SOURCES_FILE
    assert set(reg.datasets) == {"mr", "sst2", "sst5", "subj", "chnsenti", "waimai"} and reg.broken == {}
    # the names reports have always shown (report.markdown.display reads them from here)
    assert {n: d.title for n, d in reg.datasets.items()} == {
        "mr": "MR",
        "sst2": "SST-2",
        "sst5": "SST-5",
        "subj": "Subj",
        "chnsenti": "ChnSenti",
        "waimai": "Waimai",
    }
    assert reg.dataset("sst5").labels[4] == "very positive"
    assert reg.vector("glove-6b-300d").file.sha256 is None
    assert {"stopwords", "wordnet_lexnames"} <= set(reg.resources)


@pytest.mark.skipif(not (MIRROR / "SHA256SUMS").is_file(), reason="shared dataset mirror not present")
def test_real_registry_checksums_match_the_mirror():
    sums = {}
    for line in (MIRROR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    reg = load_registry()
    files = [f for d in reg.datasets.values() for f in d.files] + list(reg.resources.values())
    assert len(files) == len(sums)
    for f in files:
        assert sums.get(f.key) == f.sha256, f.key
