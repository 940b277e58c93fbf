"""Fetching registry files into data/raw, checked by sha256, from a mirror or the public URL.

Why so careful: data/raw is the root of every result. A file is only ever put in
place whole and verified (streamed to a temp file in the same folder, hashed while
it streams, then os.replace), so an interrupted or corrupt download never leaves a
file that a later stage would trust. A machine without internet points
SNNTEXT_MIRROR at a folder (or http base URL) laid out <group>/<name>.

A dataset of the user's datasets.yaml may name a local `path` instead of a URL. Such a file is
copied in the same way; its sha256, unless the entry gives one, is recorded in datasets.lock
(paths.DATASETS_LOCK) on first use, and every later download checks the file against it, so a
changed file is refused instead of silently changing the results.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

import requests
import urllib3
import yaml
from tqdm import tqdm

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError
from snntext.core.registry import DatasetSpec, Registry, SourceFile, VectorSpec

MIRROR_ENV = "SNNTEXT_MIRROR"
ALLOW_UNPINNED_ENV = "SNNTEXT_ALLOW_UNPINNED"
CHUNK = 1 << 20
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_MIRROR_HINT = "set SNNTEXT_MIRROR to a folder holding {key}, e.g. ../shared/datasets"


def say(message: str) -> None:
    """One progress line for the person running the stage."""
    print(f"download: {message}", file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _allow_unpinned() -> bool:
    return os.environ.get(ALLOW_UNPINNED_ENV, "") == "1"


def check_pinned(src: SourceFile) -> None:
    """A file without a registry sha256 is fetched only on explicit request (it cannot be verified)."""
    if src.sha256 is None and not _allow_unpinned():
        raise SnntextError(
            f"{src.key}: sources.yaml has no sha256 for it (not pinned yet), so its download cannot be "
            f"verified; run with {ALLOW_UNPINNED_ENV}=1 to fetch it from {src.url} once and paste the "
            f"printed sha256 into src/snntext/core/sources.yaml"
        )


class _Missing(Exception):
    """The mirror does not hold this file (folder lacks it / HTTP 404): try the public URL."""


class _Transient(Exception):
    """A failure worth retrying: connection error, timeout, 5xx, a body cut short."""


class _Part:
    """A temp file next to dest that becomes dest only when complete and verified."""

    def __init__(self, dest: Path):
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        self.path = Path(name)
        self.fh: BinaryIO = os.fdopen(fd, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, block: bytes) -> None:
        self.fh.write(block)
        self.digest.update(block)
        self.size += len(block)

    def rewind(self) -> None:
        self.fh.seek(0)
        self.fh.truncate()
        self.digest = hashlib.sha256()
        self.size = 0

    def commit(self, dest: Path) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.chmod(self.path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(self.path, dest)

    def discard(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        self.path.unlink(missing_ok=True)


def _stream_http(url: str, part: _Part, label: str, timeout: float) -> None:
    """GET url into part; raises _Missing on 404, _Transient on retryable trouble, SnntextError otherwise."""
    try:
        resp = requests.get(url, stream=True, timeout=timeout, headers={"Accept-Encoding": "identity"})
    except (requests.ConnectionError, requests.Timeout) as err:
        raise _Transient(f"cannot connect ({type(err).__name__})") from err
    except requests.RequestException as err:
        raise SnntextError(f"{label}: request to {url} failed: {err}") from None
    with resp:
        if resp.status_code == 404:
            raise _Missing(f"HTTP 404 from {url}")
        if resp.status_code >= 500:
            raise _Transient(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise SnntextError(f"{label}: HTTP {resp.status_code} {resp.reason} from {url}")
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            leave=False,
            disable=None,
            mininterval=0.5,
        )
        try:
            # raw bytes, never content-decoded: the checksum is over the file as published
            for block in resp.raw.stream(CHUNK, decode_content=False):
                part.write(block)
                bar.update(len(block))
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as err:
            got = f"got {part.size} of {total} bytes" if total else f"got {part.size} bytes"
            raise _Transient(f"connection broken, body truncated ({got}; {type(err).__name__})") from err
        finally:
            bar.close()
        if total is not None and part.size != total:
            raise _Transient(f"body truncated: got {part.size} of {total} bytes (Content-Length)")


def _fetch_http(url: str, part: _Part, label: str, timeout: float, retries: int, backoff: float) -> None:
    """GET with up to `retries` retries (exponential backoff) on transient failures; never retries a 404."""
    for attempt in range(retries + 1):
        try:
            _stream_http(url, part, label, timeout)
            return
        except _Transient as err:
            part.rewind()
            if attempt == retries:
                raise SnntextError(
                    f"{label}: download from {url} failed after {retries + 1} attempts: {err}. "
                    f"Check the connection, or {_MIRROR_HINT.format(key=label)}"
                ) from None
            wait = backoff * 2**attempt
            say(f"{label}: {err}; retrying in {wait:.1f} s ({attempt + 1}/{retries})")
            time.sleep(wait)


def _copy_from_folder(path: Path, part: _Part) -> None:
    if not path.is_file():
        raise _Missing(f"{path} does not exist")
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            part.write(block)


def _resolve_mirror(mirror: str | None) -> str | None:
    mirror = os.environ.get(MIRROR_ENV) if mirror is None else mirror
    if not mirror:
        return None
    if mirror.startswith(("http://", "https://")):
        return mirror.rstrip("/")
    if not Path(mirror).is_dir():
        raise SnntextError(
            f"{MIRROR_ENV}={mirror!r} is neither a folder nor an http(s) URL; "
            f"point it at a folder laid out <group>/<name>, e.g. ../shared/datasets"
        )
    return mirror


def _up_to_date(src: SourceFile, dest: Path) -> bool:
    """True when dest already holds the registry's bytes; a wrong file is removed so it is never used."""
    if not dest.is_file():
        return False
    if src.sha256 is None:
        say(f"{src.key}: present, not pinned; its sha256 is {sha256_of(dest)} (paste into sources.yaml)")
        return True
    actual = sha256_of(dest)
    if actual == src.sha256:
        say(f"{src.key}: up to date")
        return True
    say(f"{src.key}: {dest} has sha256 {actual}, expected {src.sha256}; fetching it again")
    dest.unlink()
    return False


def _fetch(src: SourceFile, dest: Path, mirror: str | None, timeout: float, retries: int, backoff: float) -> int | None:
    """fetch() that returns the bytes fetched, or None when dest was already up to date."""
    check_pinned(src)
    dest = Path(dest)
    if _up_to_date(src, dest):
        return None
    base = _resolve_mirror(mirror)
    part = _Part(dest)
    try:
        tried = None
        if base is not None:
            is_url = base.startswith(("http://", "https://"))
            tried = f"{base}/{src.group}/{src.name}" if is_url else str(Path(base) / src.group / src.name)
            try:
                if is_url:
                    _fetch_http(tried, part, src.key, timeout, retries, backoff)
                else:
                    _copy_from_folder(Path(tried), part)
            except _Missing as why:
                say(f"{src.key}: not in the mirror ({why}); falling back to {src.url}")
                part.rewind()
                tried = None
        if tried is None:
            tried = src.url
            assert src.url is not None  # the registry requires a url where there is no path
            try:
                _fetch_http(src.url, part, src.key, timeout, retries, backoff)
            except _Missing:
                raise SnntextError(
                    f"{src.key}: HTTP 404 Not Found from {src.url}; the file has moved: "
                    f"{_MIRROR_HINT.format(key=src.key)}"
                ) from None
        actual = part.digest.hexdigest()
        if src.sha256 is None:
            say(
                f"{src.key}: fetched unpinned from {tried}; sha256: {actual} "
                f"(paste it into src/snntext/core/sources.yaml)"
            )
        elif actual != src.sha256:
            raise SnntextError(
                f"{src.key}: checksum mismatch for {tried}: expected sha256 {src.sha256}, got {actual} "
                f"({part.size} bytes); the source changed or is corrupt, nothing was written. "
                f"To use a mirror, {_MIRROR_HINT.format(key=src.key)}; or fix the registry entry"
            )
        part.commit(dest)
        say(f"{src.key}: fetched {part.size} bytes from {tried}")
        return part.size
    finally:
        part.discard()


def fetch(
    src: SourceFile,
    dest: Path,
    mirror: str | None = None,
    timeout: float = 60,
    retries: int = 3,
    *,
    backoff: float = 1.0,
) -> Path:
    """Put the verified bytes of `src` at `dest` (usually paths.raw_file(group, name)); returns dest.

    mirror (default: env SNNTEXT_MIRROR): a folder or http(s) base URL holding <group>/<name>;
    a file the mirror lacks comes from the public URL. Nothing is fetched when dest already
    has the right sha256.
    """
    _fetch(src, Path(dest), mirror, timeout, retries, backoff)
    return Path(dest)


def _safe_member(archive: Path, member: str) -> None:
    parts = PurePosixPath(member).parts
    if (
        not member
        or member.startswith(("/", "\\"))
        or "\\" in member
        or ".." in parts
        or (len(member) > 1 and member[1] == ":")
    ):
        raise SnntextError(
            f"{archive}: refusing archive member {member!r}: absolute or '..' paths could escape the target folder"
        )


def _copy_stream(fh: IO[bytes], dest: Path) -> None:
    part = _Part(dest)
    try:
        for block in iter(lambda: fh.read(CHUNK), b""):
            part.write(block)
        part.commit(dest)
    finally:
        part.discard()


def extract_member(archive: Path, member: str, dest: Path) -> Path:
    """Extract one member of a .zip/.whl or .tar(.gz)/.tgz to the file dest, atomically.

    A non-archive whose own name is `member` (e.g. a plain .vec.gz) is copied as is.
    Skipped when dest is newer than the archive.
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise SnntextError(f"{archive}: archive not found; run the download stage first")
    _safe_member(archive, member)
    if dest.is_file() and dest.stat().st_mtime >= archive.stat().st_mtime:
        return dest
    name = archive.name.lower()
    if name.endswith((".zip", ".whl")):
        try:
            with zipfile.ZipFile(archive) as zf:
                try:
                    info = zf.getinfo(member)
                except KeyError:
                    raise SnntextError(f"{archive}: has no member {member!r}") from None
                mode = info.external_attr >> 16
                if info.is_dir() or stat.S_ISLNK(mode):
                    raise SnntextError(f"{archive}: member {member!r} is not a regular file; refusing it")
                with zf.open(info) as fh:
                    _copy_stream(fh, dest)
        except (zipfile.BadZipFile, zlib.error) as err:
            raise SnntextError(f"{archive}: not a valid zip archive ({err}); delete it and download again") from None
    elif name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")):
        try:
            with tarfile.open(archive, "r:*") as tf:
                try:
                    member_info = tf.getmember(member)
                except KeyError:
                    raise SnntextError(f"{archive}: has no member {member!r}") from None
                if not member_info.isfile():
                    raise SnntextError(
                        f"{archive}: member {member!r} is a link or folder, not a regular file; refusing it"
                    )
                data = tf.extractfile(member_info)
                assert data is not None  # isfile() members always have data
                with data:
                    _copy_stream(data, dest)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise SnntextError(f"{archive}: cannot read tar archive ({err}); delete it and download again") from None
    elif member == archive.name:
        if dest.resolve() != archive.resolve():
            with open(archive, "rb") as fh:
                _copy_stream(fh, dest)
    else:
        raise SnntextError(f"{archive}: not a .zip/.whl/.tar.gz archive, so it has no member {member!r}")
    return dest


# ---------------------------------------------------------------- local files and datasets.lock

_LOCK_HEADER = """\
# sha256 of each local `path` file of datasets.yaml, recorded by the download stage on first use
# (dataset key -> <group>/<name> -> sha256). Every later download checks the file against it.
# Commit this file with datasets.yaml. To accept a changed file on purpose, delete its line.
"""


def local_file(src: SourceFile) -> Path:
    """Where a `path` entry points: an absolute path, or one relative to the project root."""
    path = src.local_file
    assert path is not None  # called for `path` entries only
    return path


def read_lock(lock_file: Path) -> dict[str, dict[str, str]]:
    """datasets.lock as {dataset: {"<group>/<name>": sha256}}; a missing file is empty."""
    try:
        data = yaml.safe_load(Path(lock_file).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as err:
        raise SnntextError(
            f"{lock_file}: not valid YAML ({getattr(err, 'problem', err)}); "
            "restore it from git, or delete it to record every local file again"
        ) from None
    if not isinstance(data, dict):
        raise SnntextError(f"{lock_file}: expected a mapping of dataset keys, got {data!r}")
    for dataset, files in data.items():
        if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise SnntextError(f"{lock_file}: {dataset}: expected '<group>/<name>: <sha256>' lines, got {files!r}")
    return data


def write_lock(lock_file: Path, new: dict[tuple[str, str], str]) -> None:
    """Add the pins `new` ({(dataset, "<group>/<name>"): sha256}) to the lock file (read again, then merged)."""
    data = read_lock(lock_file)
    for (dataset, key), digest in new.items():
        data.setdefault(dataset, {})[key] = digest
    ordered = {d: dict(sorted(data[d].items())) for d in sorted(data)}
    write_text_atomic(lock_file, _LOCK_HEADER + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True))


def check_local_files(specs: Iterable[DatasetSpec], lock_file: Path) -> tuple[dict, dict]:
    """Check every local file of `specs` against its pin (the entry's sha256, else the lock file's),
    before anything is copied. Returns ({(dataset, key): sha256} of all local files, the new pins)."""
    lock = None
    digests: dict[tuple[str, str], str] = {}
    new: dict[tuple[str, str], str] = {}
    for spec in specs:
        for index, src in enumerate(spec.files):
            if src.path is None:
                continue
            where = f"{spec.registry_file}: datasets.{spec.name}.files[{index}].path"
            source = local_file(src)
            if not source.is_file():
                raise SnntextError(
                    f"{where}: {source} is not a file; put the file there or fix the path "
                    "(a relative path starts at the project root)"
                )
            actual = sha256_of(source)
            expected: str | None
            if src.sha256 is not None:
                expected, pinned_by = src.sha256, f"its sha256 in {spec.registry_file}"
            else:
                lock = read_lock(lock_file) if lock is None else lock
                expected, pinned_by = lock.get(spec.name, {}).get(src.key), f"{lock_file} (recorded on first use)"
            if expected is None:
                new[(spec.name, src.key)] = actual
            elif actual != expected:
                fix = (
                    f"restore the file, or delete its line under '{spec.name}' in {lock_file} to record the new one"
                    if src.sha256 is None
                    else "restore the file, or update that sha256"
                )
                raise SnntextError(
                    f"{where}: {source} has sha256 {actual}, but {pinned_by} says {expected}: the file changed; {fix}"
                )
            digests[(spec.name, src.key)] = actual
    return digests, new


def _copy_local(source: Path, dest: Path, sha256: str) -> int | None:
    """Copy a checked local file to dest (verified while copying); None when dest already has it."""
    if dest.is_file() and sha256_of(dest) == sha256:
        return None
    part = _Part(dest)
    try:
        _copy_from_folder(source, part)
        if part.digest.hexdigest() != sha256:
            raise SnntextError(
                f"{source}: changed while being copied (sha256 {part.digest.hexdigest()}, "
                f"expected {sha256}); run the download again"
            )
        part.commit(dest)
        return part.size
    finally:
        part.discard()


def vector_member_file(spec: VectorSpec, role: str, raw_dir: Path | None = None) -> Path:
    """Where a vector archive's member lands: RAW_DIR/vectors/<vector-name>/<basename(member)>."""
    if role not in spec.members:
        raise SnntextError(f"vector {spec.name!r} has no member {role!r}; it has: {', '.join(spec.members)}")
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    return raw_dir / "vectors" / spec.name / PurePosixPath(spec.members[role]).name


def vectors_needed(
    registry: Registry, datasets: Iterable[str], english: str, chinese: str, compare: Iterable[str] = ()
) -> list[str]:
    """The vector names the given datasets use (embed.english / embed.chinese by language) plus compare."""
    chosen = {"en": ("embed.english", english), "zh": ("embed.chinese", chinese)}
    for language, (key, name) in chosen.items():
        spec = registry.vector(name)
        if spec.language != language:
            fits = ", ".join(n for n, v in registry.vectors.items() if v.language == language)
            raise SnntextError(f"params key {key} is {name!r}, a {spec.language!r} vector; choose one of: {fits}")
    languages = {registry.dataset(d).language for d in datasets}
    names = [chosen[lang][1] for lang in ("en", "zh") if lang in languages]
    for name in compare:
        registry.vector(name)
        if name not in names:
            names.append(name)
    return names


@dataclass
class FetchSummary:
    fetched: int = 0
    up_to_date: int = 0
    bytes: int = 0
    extracted: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)

    def add(self, other: FetchSummary) -> None:
        self.fetched += other.fetched
        self.up_to_date += other.up_to_date
        self.bytes += other.bytes
        self.extracted += other.extracted
        self.seconds += other.seconds
        self.files += other.files

    def line(self) -> str:
        return (
            f"{self.fetched + self.up_to_date} files ({self.fetched} fetched, {self.up_to_date} up to date), "
            f"{self.bytes / 1e6:.1f} MB downloaded, {self.extracted} members extracted, "
            f"{self.seconds:.1f} s"
        )


def fetch_all(
    registry: Registry,
    datasets: Iterable[str],
    vectors: Iterable[str],
    resources: Iterable[str] = (),
    *,
    raw_dir: Path | None = None,
    archive_dir: Path | None = None,
    mirror: str | None = None,
    timeout: float = 60,
    retries: int = 3,
    backoff: float = 1.0,
    lock_file: Path | None = None,
) -> FetchSummary:
    """Fetch every file of the named datasets, vectors and resources into raw_dir (default data/raw),
    and extract each vector's members (see vector_member_file). Vector archives go to archive_dir
    (default raw_dir) in the <group>/<name> layout: only their members are pipeline data. A dataset's
    local `path` file is copied, checked against its pin in lock_file (default paths.DATASETS_LOCK),
    pinned there on first use. All names, whether every file is pinned, and every local file are
    checked before the first download."""
    start = time.monotonic()
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    archive_dir = Path(archive_dir) if archive_dir is not None else raw_dir
    lock_file = Path(lock_file) if lock_file is not None else paths.DATASETS_LOCK
    dataset_specs = [registry.dataset(n) for n in datasets]
    vector_specs = [registry.vector(n) for n in vectors]
    archives = {v.file.key for v in vector_specs}
    resource_files = [registry.resource(n) for n in resources]
    wanted = [f for d in dataset_specs for f in d.files if f.path is None] + [v.file for v in vector_specs]
    unique = list({f.key: f for f in wanted + resource_files}.values())
    for src in unique:
        check_pinned(src)
    local_digests, new_pins = check_local_files(dataset_specs, lock_file)
    _resolve_mirror(mirror)
    summary = FetchSummary()
    for spec in dataset_specs:
        for src in spec.files:
            if src.path is None:
                continue
            dest = raw_dir / src.group / src.name
            got = _copy_local(local_file(src), dest, local_digests[(spec.name, src.key)])
            say(f"{src.key}: {'up to date' if got is None else f'copied {got} bytes from {local_file(src)}'}")
            summary.up_to_date += got is None
            summary.fetched += got is not None
            summary.bytes += got or 0
            summary.files.append(dest)
    if new_pins:
        write_lock(lock_file, new_pins)
        for (_dataset, key), digest in new_pins.items():
            say(f"{key}: first use; sha256 {digest} recorded in {lock_file} (commit it)")
    for src in unique:
        dest = (archive_dir if src.key in archives else raw_dir) / src.group / src.name
        got = _fetch(src, dest, mirror, timeout, retries, backoff)
        if got is None:
            summary.up_to_date += 1
        else:
            summary.fetched += 1
            summary.bytes += got
        summary.files.append(dest)
    for vector_spec in vector_specs:
        archive = archive_dir / vector_spec.file.group / vector_spec.file.name
        for role, member in vector_spec.members.items():
            target = vector_member_file(vector_spec, role, raw_dir)
            fresh = not target.is_file() or target.stat().st_mtime < archive.stat().st_mtime
            extract_member(archive, member, target)
            summary.extracted += fresh
            summary.files.append(target)
    summary.seconds = time.monotonic() - start
    return summary
