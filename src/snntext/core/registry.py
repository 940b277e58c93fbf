"""The source registry as checked, frozen objects: the packaged sources.yaml plus the user's datasets.yaml.

Every file the pipeline downloads is described once: the shipped datasets, vectors and resources
in src/snntext/core/sources.yaml, the user's own datasets in the project's datasets.yaml (same
dataset schema; a key may not repeat a shipped one). A malformed entry is rejected naming the
registry file and the key path (e.g. "datasets.mr.files[0].sha256"), before any download starts.

A broken dataset entry breaks that dataset only: the registry still loads, and asking for that
dataset (Registry.dataset) raises its error, so `download@mr` works while another entry is wrong.
A file that cannot be read as a whole (a byte that is not UTF-8, invalid YAML, a key given twice, a
folder in its place: read_yaml_file) is one error naming it and the line; for datasets.yaml it breaks
only the datasets it would define.
Errors in the vectors or resources of sources.yaml stop every stage, as they are shared.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar, cast

import yaml

from snntext.core import paths
from snntext.core.config import DATASET_NAME, SPLITS
from snntext.core.errors import SnntextError

LANGUAGES = ("en", "zh")
# Parsers in snntext.data.datasets, loaders in snntext.data.vectors: one per format.
DATASET_FORMATS = ("polarity_files", "label_first", "label_review_csv", "table")
# The split layouts a dataset's files may have (see snntext.data.splits): every standard split;
# train and test (dev drawn from train: prepare.dev_fraction); none (test and dev drawn).
SPLIT_LAYOUTS: tuple[frozenset[str], ...] = (frozenset(SPLITS), frozenset({"train", "test"}), frozenset())
TABLE_QUOTING = ("csv", "none")
VECTOR_FORMATS = ("kumo_npy", "word2vec_binary", "spacy_vectors", "glove_text", "word2vec_text")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE_KEYS = {"group", "name", "url", "path", "sha256", "encoding", "label", "split"}
_DATASET_KEYS = {"language", "format", "labels", "max_len", "files"}
_DATASET_OPTIONAL = {"display_name", "delimiter", "text_column", "label_column", "quoting"}
_TABLE_KEYS = {"delimiter", "text_column", "label_column", "quoting"}
_VECTOR_KEYS = {"language", "format", "dim", "file", "members"}

_T = TypeVar("_T")


@dataclass(frozen=True)
class SourceFile:
    """One public file: its place <group>/<name> in data/raw and in a mirror, and how to check it."""

    group: str
    name: str
    url: str | None  # None for a local file (path)
    sha256: str | None  # None: not pinned yet (see snntext.data.download), or a local file pinned on first use
    encoding: str | None = None  # how a parser decodes it; None for binary files
    label: int | None = None  # polarity_files: the label every line of this file has
    split: str | None = None  # which split this file is (train, dev, test), or None: the dataset is split by us
    path: str | None = None  # a local file instead of a URL: relative to the project root, or absolute

    @property
    def key(self) -> str:
        """The mirror-relative path "<group>/<name>", used in messages."""
        return f"{self.group}/{self.name}"

    @property
    def local_file(self) -> Path | None:
        """Where a `path` entry points (an absolute path, or one relative to the project root); None for a url."""
        if self.path is None:
            return None
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else paths.PROJECT_ROOT / path


@dataclass(frozen=True)
class TableLayout:
    """Format `table`: a delimited file with a header row; the text and label columns by name."""

    text_column: str
    label_column: str
    delimiter: str = ","
    quoting: str = "csv"  # csv: "..." quotes fields (doubled "" inside) | none: quotes are text


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    language: str
    format: str
    labels: list[str]
    max_len: int
    files: list[SourceFile]
    display_name: str | None = None  # how reports show it; None: the key
    table: TableLayout | None = None  # format table only
    origin: str | None = None  # the registry file that defines it (for messages)

    @property
    def title(self) -> str:
        """The name reports show: display_name, else the key."""
        return self.display_name or self.name

    @property
    def registry_file(self) -> str:
        return self.origin or str(paths.SOURCES_FILE)


@dataclass(frozen=True)
class VectorSpec:
    name: str
    language: str
    format: str
    dim: int
    file: SourceFile
    members: dict[str, str]  # role (e.g. "vectors") -> path inside the archive


@dataclass(frozen=True)
class Registry:
    datasets: dict[str, DatasetSpec]  # the valid dataset entries of both files
    vectors: dict[str, VectorSpec]
    resources: dict[str, SourceFile]
    source: Path  # the packaged registry (sources.yaml)
    broken: dict[str, str] = field(default_factory=dict)  # dataset key -> why its entry is refused
    user_source: Path | None = None  # the user's datasets.yaml, when read
    user_error: str | None = None  # why the user's file as a whole could not be read

    @property
    def dataset_names(self) -> set[str]:
        """Every dataset key defined, valid or broken."""
        return set(self.datasets) | set(self.broken)

    def dataset_problem(self, name: str) -> str | None:
        """Why `name` cannot be used as a dataset (its entry's error, or it is not defined); None when it can."""
        if name in self.broken:
            return self.broken[name]
        if name in self.datasets:
            return None
        if self.user_error:
            return f"{self.user_error} (dataset {name!r} is not in {self.source}, so it must come from there)"
        valid = ", ".join(sorted(self.dataset_names)) or "(none)"
        return f"unknown dataset {name!r}; {self.dataset_files} defines: {valid}"

    @property
    def dataset_files(self) -> str:
        """The registry files that define datasets, for messages."""
        if self.user_error:
            return f"{self.source} ({self.user_source} is unreadable: {self.user_error})"
        return f"{self.source} with {self.user_source}" if self.user_source else str(self.source)

    def dataset(self, name: str) -> DatasetSpec:
        problem = self.dataset_problem(name) if isinstance(name, str) else f"unknown dataset {name!r}"
        if problem:
            raise SnntextError(problem)
        return self.datasets[name]

    def vector(self, name: str) -> VectorSpec:
        return _lookup(self.vectors, name, "vector", self.source)

    def resource(self, name: str) -> SourceFile:
        return _lookup(self.resources, name, "resource", self.source)


def _lookup(table: dict[str, _T], name: str, kind: str, source: Path) -> _T:
    try:
        return table[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(table)) or "(none)"
        raise SnntextError(f"unknown {kind} {name!r}; {source} defines: {valid}") from None


_DEFAULT = object()


def load_registry(path: str | Path | None = None, user_path: str | Path | None | object = _DEFAULT) -> Registry:
    """Read and validate the registry: `path` (default: the packaged sources.yaml) and the user's
    datasets file `user_path` (default: paths.USER_DATASETS_FILE when `path` is the default, else
    none; a missing user file is an empty one)."""
    if user_path is _DEFAULT:
        user_path = None if path else paths.USER_DATASETS_FILE
    path = Path(path) if path else paths.SOURCES_FILE
    try:
        data = read_yaml_file(path)
    except FileNotFoundError:
        raise SnntextError(f"{path}: source registry not found") from None
    validator = _Validator(path)
    registry = validator.registry(data)
    if user_path is None:
        return registry
    user_path = Path(cast("str | Path", user_path))  # not _DEFAULT (replaced above), not None
    try:
        user_data = read_yaml_file(user_path)
    except FileNotFoundError:
        return registry
    except SnntextError as err:
        return dataclasses.replace(registry, user_source=user_path, user_error=str(err))
    return _Validator(user_path, user=True).add_user_datasets(registry, user_data)


class UniqueKeyLoader(yaml.SafeLoader):
    """safe_load, except that a key given twice in one mapping is an error (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml_file(path: Path) -> Any:
    """A YAML file's content ({} when empty), read as UTF-8 and with no key given twice in a mapping.

    Anything else is one SnntextError naming the file (and the line, for a byte that is not UTF-8, a
    YAML error or a repeated key); a missing file raises FileNotFoundError, for the caller to word."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise SnntextError(f"{path}: is a folder, not a YAML file") from None
    except OSError as err:
        raise SnntextError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = len(re.findall(rb"\r\n|\r|\n", data[: err.start])) + 1
        raise SnntextError(
            f"{path} line {line}: not UTF-8 text ({err.reason} at byte {err.start}); save the file as UTF-8"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as Path.read_text's universal newlines
    try:
        return yaml.load(text, Loader=UniqueKeyLoader) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SnntextError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None


class _Validator:
    """Turns the parsed YAML into specs; every error names the file and the key path."""

    def __init__(self, path: Path, user: bool = False):
        self.path = path
        self.user = user  # the user's datasets.yaml: encoding defaults to utf-8, url files must be pinned

    def fail(self, key: str, problem: str) -> SnntextError:
        return SnntextError(f"{self.path}: {key}: {problem}")

    def mapping(
        self, node: Any, key: str, allowed: set[str] | None = None, required: set[str] | None = None
    ) -> dict[Any, Any]:
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
        return cast(str, node)

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
        """A downloaded file: group, name, url, sha256 (vectors, resources, shipped datasets)."""
        required = {"group", "name", "url", "sha256"} | ({"encoding"} if need_encoding else set())
        node = self.mapping(node, key, _FILE_KEYS - {"path"}, required)
        url = self.url(node["url"], f"{key}.url")
        sha = self.sha256(node["sha256"], f"{key}.sha256", allow_null=True)
        return SourceFile(
            group=self.path_part(node["group"], f"{key}.group"),
            name=self.path_part(node["name"], f"{key}.name"),
            url=url,
            sha256=sha,
            encoding=self.encoding(node.get("encoding"), f"{key}.encoding"),
            label=self.label(node.get("label"), f"{key}.label", None),
            split=self.split(node.get("split"), f"{key}.split"),
        )

    def dataset_file(self, node: Any, key: str, dataset: str, labels: list[str]) -> SourceFile:
        """A dataset's file: either `url` with `sha256`, or (in datasets.yaml) a local `path`.

        In datasets.yaml `group` defaults to the dataset key, `name` to the file's own name and
        `encoding` to utf-8; a path's sha256 is optional (recorded on first use, see datasets.lock)."""
        if not self.user:
            node = self.mapping(node, key, _FILE_KEYS - {"path"}, {"group", "name", "url", "sha256", "encoding"})
        else:
            node = self.mapping(node, key, _FILE_KEYS)
            if ("url" in node) == ("path" in node):
                raise self.fail(key, "give either 'url' (with 'sha256') or a local 'path', not both or neither")
            if "url" in node and "sha256" not in node:
                raise self.fail(f"{key}.sha256", "missing key (a url needs its sha256: run sha256sum on the file)")
        url = self.url(node["url"], f"{key}.url") if "url" in node else None
        local = self.string(node["path"], f"{key}.path") if "path" in node else None
        sha = self.sha256(node.get("sha256"), f"{key}.sha256", allow_null=not self.user or local is not None)
        default_name = PurePosixPath(local or cast(str, url).rstrip("/")).name if self.user else None
        encoding = node.get("encoding", "utf-8" if self.user else None)
        return SourceFile(
            group=self.path_part(node.get("group", dataset if self.user else None), f"{key}.group"),
            name=self.path_part(node.get("name", default_name), f"{key}.name"),
            url=url,
            sha256=sha,
            encoding=self.encoding(encoding, f"{key}.encoding"),
            label=self.label(node.get("label"), f"{key}.label", labels),
            split=self.split(node.get("split"), f"{key}.split"),
            path=local,
        )

    def url(self, node: Any, key: str) -> str:
        url = self.string(node, key)
        if not url.startswith(("https://", "http://")):
            raise self.fail(key, f"{url!r} must be an http(s) URL")
        return url

    def sha256(self, node: Any, key: str, allow_null: bool) -> str | None:
        if node is None and allow_null:
            return None
        if not isinstance(node, str) or not _SHA256.match(node):
            hint = " (or null: not pinned yet)" if allow_null else ""
            raise self.fail(key, f"{node!r} is not 64 lower-case hex digits{hint}")
        return node

    def encoding(self, node: Any, key: str) -> str | None:
        if node is None:
            return None
        encoding = self.string(node, key)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise self.fail(key, f"unknown text encoding {encoding!r}") from None
        return encoding

    def label(self, node: Any, key: str, labels: list[str] | None) -> int | None:
        """A label index (0, 1, ...) or, for a dataset's file, one of its label names."""
        if node is None:
            return None
        if labels and isinstance(node, str) and node in labels:
            return labels.index(node)
        if not isinstance(node, int) or isinstance(node, bool) or node < 0:
            names = f" or one of the label names {labels}" if labels else ""
            raise self.fail(key, f"expected a label index (0, 1, ...){names}, got {node!r}")
        return node

    def split(self, node: Any, key: str) -> str | None:
        return None if node is None else self.one_of(node, key, SPLITS)

    def table(self, node: dict[Any, Any], key: str, fmt: str) -> TableLayout | None:
        given = sorted(k for k in _TABLE_KEYS if k in node)
        if fmt != "table":
            if given:
                raise self.fail(f"{key}.{given[0]}", f"only for format table (this dataset is {fmt})")
            return None
        for k in ("text_column", "label_column"):
            if k not in node:
                raise self.fail(
                    f"{key}.{k}", "missing key (format table: the header names of the text and label columns)"
                )
        delimiter = node.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in ('"', "\n", "\r"):
            raise self.fail(f"{key}.delimiter", f"expected one character such as ',' or '\\t', got {delimiter!r}")
        text_column = self.string(node["text_column"], f"{key}.text_column")
        label_column = self.string(node["label_column"], f"{key}.label_column")
        if text_column == label_column:
            raise self.fail(f"{key}.label_column", f"the same column as text_column ({text_column!r})")
        return TableLayout(
            text_column=text_column,
            label_column=label_column,
            delimiter=delimiter,
            quoting=self.one_of(node.get("quoting", "csv"), f"{key}.quoting", TABLE_QUOTING),
        )

    def dataset(self, name: str, node: Any) -> DatasetSpec:
        key = f"datasets.{name}"
        if not DATASET_NAME.fullmatch(name):
            raise self.fail(key, "a dataset key is lowercase letters, digits and '_' (it names folders and stages)")
        node = self.mapping(node, key, _DATASET_KEYS | _DATASET_OPTIONAL, _DATASET_KEYS)
        fmt = self.one_of(node["format"], f"{key}.format", DATASET_FORMATS)
        labels = node["labels"]
        if (
            not isinstance(labels, list)
            or len(labels) < 2
            or not all(isinstance(x, str) and x for x in labels)
            or len(set(labels)) != len(labels)
        ):
            raise self.fail(f"{key}.labels", f"expected a list of at least two distinct label names, got {labels!r}")
        display_name = node.get("display_name")
        if display_name is not None:
            display_name = self.string(display_name, f"{key}.display_name")
        table = self.table(node, key, fmt)
        files_node = node["files"]
        if not isinstance(files_node, list) or not files_node:
            raise self.fail(f"{key}.files", "expected a non-empty list of files")
        files = [self.dataset_file(f, f"{key}.files[{i}]", name, labels) for i, f in enumerate(files_node)]
        seen: dict[str, int] = {}
        for i, f in enumerate(files):
            fkey = f"{key}.files[{i}]"
            if fmt == "polarity_files" and f.label is None:
                raise self.fail(f"{fkey}.label", "missing key (format polarity_files: each file gives the label)")
            if fmt != "polarity_files" and f.label is not None:
                raise self.fail(
                    f"{fkey}.label", f"only for format polarity_files (in format {fmt} each line has its label)"
                )
            if f.label is not None and f.label >= len(labels):
                raise self.fail(f"{fkey}.label", f"{f.label} is out of range for {len(labels)} labels")
            if f.key in seen:
                raise self.fail(
                    f"{fkey}.name", f"{f.key} is also files[{seen[f.key]}] (one file would overwrite the other)"
                )
            seen[f.key] = i
        layout = frozenset(f.split for f in files if f.split)
        if layout not in SPLIT_LAYOUTS or (layout and any(f.split is None for f in files)):
            given = ", ".join(f.split or "(none)" for f in files)
            raise self.fail(
                f"{key}.files",
                f"splits given: {given}; give every file a split of train, dev and test, "
                "or of train and test (dev drawn from train), or none (test and dev drawn)",
            )
        return DatasetSpec(
            name=name,
            language=self.one_of(node["language"], f"{key}.language", LANGUAGES),
            format=fmt,
            labels=list(labels),
            max_len=self.positive_int(node["max_len"], f"{key}.max_len"),
            files=files,
            display_name=display_name,
            table=table,
            origin=str(self.path),
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
                raise self.fail(
                    f"{key}.members.{role}",
                    f"same file name {base!r} as members.{seen[base]} (both extract to one folder)",
                )
            seen[base] = role
        return VectorSpec(
            name=name,
            language=self.one_of(node["language"], f"{key}.language", LANGUAGES),
            format=self.one_of(node["format"], f"{key}.format", VECTOR_FORMATS),
            dim=self.positive_int(node["dim"], f"{key}.dim"),
            file=self.source_file(node["file"], f"{key}.file"),
            members=members,
        )

    def datasets(self, node: Any, registry: Registry | None = None) -> tuple[dict[str, DatasetSpec], dict[str, str]]:
        """(valid specs, {key: error}) of a `datasets` mapping; one entry's error does not stop the others."""
        datasets: dict[str, DatasetSpec] = {}
        broken: dict[str, str] = {}
        for n, d in (self.mapping(node or {}, "datasets")).items():
            name = str(n)
            try:
                if registry is not None and name in registry.dataset_names:
                    raise self.fail(f"datasets.{name}", f"already defined in {registry.source}; choose another key")
                datasets[name] = self.dataset(name, d)
            except SnntextError as err:
                broken[name] = str(err)
        return datasets, broken

    def registry(self, data: Any) -> Registry:
        top = self.mapping(data, "(top level)", {"datasets", "vectors", "resources"}, {"datasets", "vectors"})
        datasets, broken = self.datasets(top["datasets"])
        vectors = {str(n): self.vector(str(n), v) for n, v in self.mapping(top["vectors"], "vectors").items()}
        resources = {
            str(n): self.source_file(r, f"resources.{n}")
            for n, r in self.mapping(top.get("resources") or {}, "resources").items()
        }
        self.check_unique_places(datasets, broken, vectors, resources)
        return Registry(datasets=datasets, vectors=vectors, resources=resources, source=self.path, broken=broken)

    def add_user_datasets(self, registry: Registry, data: Any) -> Registry:
        """The registry with the datasets of the user's file added (their errors kept per dataset)."""
        try:
            top = self.mapping(data, "(top level)", {"datasets"})
            datasets, broken = self.datasets(top.get("datasets"), registry)
        except SnntextError as err:
            return dataclasses.replace(registry, user_source=self.path, user_error=str(err))
        everything = {**registry.datasets, **datasets}
        broken = {**registry.broken, **broken}
        self.check_unique_places(everything, broken, registry.vectors, registry.resources, only=set(datasets))
        return Registry(
            datasets=everything,
            vectors=registry.vectors,
            resources=registry.resources,
            source=registry.source,
            broken=broken,
            user_source=self.path,
        )

    def check_unique_places(
        self,
        datasets: dict[str, DatasetSpec],
        broken: dict[str, str],
        vectors: dict[str, VectorSpec],
        resources: dict[str, SourceFile],
        only: set[str] | None = None,
    ) -> None:
        """Two entries with one <group>/<name> but different checksums would overwrite each other in a
        mirror. A dataset entry at fault is moved from `datasets` to `broken`; a vector or resource
        at fault stops the load. `only`: check just these datasets (the user's) against all others."""
        places: dict[str, tuple[str, str | None]] = {}
        entries: list[tuple[str | None, str, SourceFile]] = [
            (d.name, f"datasets.{d.name}.files[{i}]", f)
            for d in list(datasets.values())
            for i, f in enumerate(d.files)
            if f.url is not None
        ]
        entries += [(None, f"vectors.{v.name}.file", v.file) for v in vectors.values()]
        entries += [(None, f"resources.{n}", r) for n, r in resources.items()]
        if only is not None:  # the user's datasets last, so that a clash is theirs
            entries.sort(key=lambda e: e[0] in only)
        for dataset, key, f in entries:
            if dataset in broken:
                continue
            if f.key in places and places[f.key][1] != f.sha256 and (only is None or dataset in only):
                error = self.fail(key, f"{f.key} is also {places[f.key][0]} with a different sha256")
                if dataset is None:
                    raise error
                broken[dataset] = str(error)
                datasets.pop(dataset, None)
                continue
            places.setdefault(f.key, (key, f.sha256))
