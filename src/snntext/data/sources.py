"""The source registry (sources.yaml) as checked, frozen objects.

Every file the pipeline downloads is described once, in sources.yaml; this module
reads it and rejects a malformed entry at once, naming the registry file and the
key path (e.g. "datasets.mr.files[0].sha256"), so that a typo fails before any
download starts rather than as a confusing error in a later stage.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from snntext import paths
from snntext.config import SPLITS
from snntext.errors import SnntextError

LANGUAGES = ("en", "zh")
# Parsers in snntext.data.datasets, loaders in snntext.embeddings: one per format.
DATASET_FORMATS = ("polarity_files", "label_first", "label_review_csv")
VECTOR_FORMATS = ("kumo_npy", "word2vec_binary", "spacy_vectors", "glove_text", "word2vec_text")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE_KEYS = {"group", "name", "url", "sha256", "encoding", "label", "split"}
_DATASET_KEYS = {"language", "format", "labels", "max_len", "files"}
_VECTOR_KEYS = {"language", "format", "dim", "file", "members"}


@dataclass(frozen=True)
class SourceFile:
    """One public file: its place <group>/<name> in data/raw and in a mirror, and how to check it."""

    group: str
    name: str
    url: str
    sha256: str | None          # None: not pinned yet (see snntext.data.download)
    encoding: str | None = None  # how a parser decodes it; None for binary files
    label: int | None = None     # polarity_files: the label every line of this file has
    split: str | None = None     # label_first: which standard split this file is

    @property
    def key(self) -> str:
        """The mirror-relative path "<group>/<name>", used in messages."""
        return f"{self.group}/{self.name}"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    language: str
    format: str
    labels: list[str]
    max_len: int
    files: list[SourceFile]


@dataclass(frozen=True)
class VectorSpec:
    name: str
    language: str
    format: str
    dim: int
    file: SourceFile
    members: dict[str, str]     # role (e.g. "vectors") -> path inside the archive


@dataclass(frozen=True)
class Registry:
    datasets: dict[str, DatasetSpec]
    vectors: dict[str, VectorSpec]
    resources: dict[str, SourceFile]
    source: Path

    def dataset(self, name: str) -> DatasetSpec:
        return _lookup(self.datasets, name, "dataset", self.source)

    def vector(self, name: str) -> VectorSpec:
        return _lookup(self.vectors, name, "vector", self.source)

    def resource(self, name: str) -> SourceFile:
        return _lookup(self.resources, name, "resource", self.source)


def _lookup(table: dict, name: str, kind: str, source: Path):
    try:
        return table[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(table)) or "(none)"
        raise SnntextError(f"unknown {kind} {name!r}; {source} defines: {valid}") from None


def load_registry(path: str | Path | None = None) -> Registry:
    """Read and validate the registry (default: the packaged sources.yaml)."""
    path = Path(path) if path else paths.SOURCES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnntextError(f"{path}: source registry not found") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SnntextError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    return _Validator(path).registry(data)


class _Validator:
    """Turns the parsed YAML into specs; every error names the file and the key path."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str) -> SnntextError:
        return SnntextError(f"{self.path}: {key}: {problem}")

    def mapping(self, node: Any, key: str, allowed: set[str] | None = None,
                required: set[str] | None = None) -> dict:
        if not isinstance(node, dict):
            raise self.fail(key, f"expected a mapping, got {node!r}")
        for k in sorted(required or (), key=str):
            if k not in node:
                raise self.fail(f"{key}.{k}", "missing key")
        if allowed is not None:
            extra = sorted(str(k) for k in node if k not in allowed)
            if extra:
                raise self.fail(f"{key}.{extra[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}")
        return node

    def string(self, node: Any, key: str) -> str:
        if not isinstance(node, str) or not node.strip():
            raise self.fail(key, f"expected a non-empty string, got {node!r}")
        return node

    def one_of(self, node: Any, key: str, allowed: tuple[str, ...]) -> str:
        if node not in allowed:
            raise self.fail(key, f"{node!r} is not one of: {', '.join(allowed)}")
        return node

    def positive_int(self, node: Any, key: str) -> int:
        if not isinstance(node, int) or isinstance(node, bool) or node <= 0:
            raise self.fail(key, f"expected a positive integer, got {node!r}")
        return node

    def path_part(self, node: Any, key: str) -> str:
        """A group or file name: one plain path component, since it becomes data/raw/<group>/<name>."""
        value = self.string(node, key)
        if value in (".", "..") or "/" in value or "\\" in value:
            raise self.fail(key, f"{value!r} must be a plain file or folder name (no '/', '\\' or '..')")
        return value

    def member_path(self, node: Any, key: str) -> str:
        value = self.string(node, key)
        parts = PurePosixPath(value).parts
        if value.startswith("/") or "\\" in value or ".." in parts or re.match(r"^[A-Za-z]:", value):
            raise self.fail(key, f"{value!r} must be a relative path inside the archive (no '..')")
        return value

    def source_file(self, node: Any, key: str, need_encoding: bool = False) -> SourceFile:
        required = {"group", "name", "url", "sha256"} | ({"encoding"} if need_encoding else set())
        node = self.mapping(node, key, _FILE_KEYS, required)
        url = self.string(node["url"], f"{key}.url")
        if not url.startswith(("https://", "http://")):
            raise self.fail(f"{key}.url", f"{url!r} must be an http(s) URL")
        sha = node["sha256"]
        if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha)):
            raise self.fail(f"{key}.sha256", f"{sha!r} is not 64 lower-case hex digits (or null: not pinned yet)")
        encoding = node.get("encoding")
        if encoding is not None:
            encoding = self.string(encoding, f"{key}.encoding")
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise self.fail(f"{key}.encoding", f"unknown text encoding {encoding!r}") from None
        label = node.get("label")
        if label is not None and (not isinstance(label, int) or isinstance(label, bool) or label < 0):
            raise self.fail(f"{key}.label", f"expected a label index (0, 1, ...), got {label!r}")
        split = node.get("split")
        if split is not None:
            self.one_of(split, f"{key}.split", SPLITS)
        return SourceFile(
            group=self.path_part(node["group"], f"{key}.group"),
            name=self.path_part(node["name"], f"{key}.name"),
            url=url, sha256=sha, encoding=encoding, label=label, split=split,
        )

    def dataset(self, name: str, node: Any) -> DatasetSpec:
        key = f"datasets.{name}"
        node = self.mapping(node, key, _DATASET_KEYS, _DATASET_KEYS)
        fmt = self.one_of(node["format"], f"{key}.format", DATASET_FORMATS)
        labels = node["labels"]
        if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x for x in labels):
            raise self.fail(f"{key}.labels", f"expected a list of at least two label names, got {labels!r}")
        files_node = node["files"]
        if not isinstance(files_node, list) or not files_node:
            raise self.fail(f"{key}.files", "expected a non-empty list of files")
        files = [self.source_file(f, f"{key}.files[{i}]", need_encoding=True) for i, f in enumerate(files_node)]
        for i, f in enumerate(files):
            fkey = f"{key}.files[{i}]"
            if fmt == "polarity_files" and f.label is None:
                raise self.fail(f"{fkey}.label", "missing key (format polarity_files: each file gives the label)")
            if f.label is not None and f.label >= len(labels):
                raise self.fail(f"{fkey}.label", f"{f.label} is out of range for {len(labels)} labels")
            if fmt == "label_first" and f.split is None:
                raise self.fail(f"{fkey}.split", "missing key (format label_first: one file per split)")
        return DatasetSpec(
            name=name,
            language=self.one_of(node["language"], f"{key}.language", LANGUAGES),
            format=fmt,
            labels=list(labels),
            max_len=self.positive_int(node["max_len"], f"{key}.max_len"),
            files=files,
        )

    def vector(self, name: str, node: Any) -> VectorSpec:
        key = f"vectors.{name}"
        node = self.mapping(node, key, _VECTOR_KEYS, _VECTOR_KEYS)
        members_node = self.mapping(node["members"], f"{key}.members")
        if not members_node:
            raise self.fail(f"{key}.members", "expected at least one member (e.g. vectors: <path in archive>)")
        members = {str(role): self.member_path(m, f"{key}.members.{role}") for role, m in members_node.items()}
        seen: dict[str, str] = {}
        for role, member in members.items():
            base = PurePosixPath(member).name
            if base in seen:
                raise self.fail(f"{key}.members.{role}",
                                f"same file name {base!r} as members.{seen[base]} (both extract to one folder)")
            seen[base] = role
        return VectorSpec(
            name=name,
            language=self.one_of(node["language"], f"{key}.language", LANGUAGES),
            format=self.one_of(node["format"], f"{key}.format", VECTOR_FORMATS),
            dim=self.positive_int(node["dim"], f"{key}.dim"),
            file=self.source_file(node["file"], f"{key}.file"),
            members=members,
        )

    def registry(self, data: Any) -> Registry:
        top = self.mapping(data, "(top level)", {"datasets", "vectors", "resources"}, {"datasets", "vectors"})
        datasets = {str(n): self.dataset(str(n), d) for n, d in self.mapping(top["datasets"], "datasets").items()}
        vectors = {str(n): self.vector(str(n), v) for n, v in self.mapping(top["vectors"], "vectors").items()}
        resources = {str(n): self.source_file(r, f"resources.{n}")
                     for n, r in self.mapping(top.get("resources") or {}, "resources").items()}
        self.check_unique_places(datasets, vectors, resources)
        return Registry(datasets=datasets, vectors=vectors, resources=resources, source=self.path)

    def check_unique_places(self, datasets, vectors, resources) -> None:
        """Two entries with one <group>/<name> but different checksums would overwrite each other."""
        places: dict[str, tuple[str, str | None]] = {}
        entries = [(f"datasets.{d.name}.files[{i}]", f) for d in datasets.values() for i, f in enumerate(d.files)]
        entries += [(f"vectors.{v.name}.file", v.file) for v in vectors.values()]
        entries += [(f"resources.{n}", r) for n, r in resources.items()]
        for key, f in entries:
            if f.key in places and places[f.key][1] != f.sha256:
                raise self.fail(key, f"{f.key} is also {places[f.key][0]} with a different sha256")
            places.setdefault(f.key, (key, f.sha256))
