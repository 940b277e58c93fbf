"""Vector loaders (one per registry format), spaCy's string hash, and coverage.

Every fixture is a tiny file of the real format, built in tmp_path the way the download
stage leaves the extracted members: data/raw/vectors/<name>/<file name of the member>.
"""

from __future__ import annotations

import gzip
import json

import msgpack
import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from snntext.core.errors import SnntextError
from snntext.core.registry import SourceFile, VectorSpec
from snntext.data import vectors as embeddings
from snntext.data.vectors import coverage, load_vectors, murmurhash64a, spacy_hash

WORDS = ["the", "movie", "good", "café", "好吃"]


def _matrix(n: int, dim: int) -> np.ndarray:
    return (np.arange(n * dim, dtype=np.float32).reshape(n, dim) / 10.0 - 0.7).astype(np.float32)


def _spec(fmt: str, members: dict[str, str], dim: int = 3, name: str = "tiny") -> VectorSpec:
    archive = SourceFile(group="vectors", name=f"{name}.archive", url="https://example.org/x", sha256=None)
    return VectorSpec(name=name, language="en", format=fmt, dim=dim, file=archive, members=members)


# ---------------------------------------------------------------- spaCy's hash

# (string, key) pairs: the first three are spaCy's documented StringStore values (spaCy 101,
# the spaCy course); the others are keys present in en_core_web_md 3.8's vocab/key2row, so
# spaCy itself computed them. Together they cover 0-7 byte tails, 1-2 full 8-byte blocks and
# non-ASCII UTF-8.
SPACY_KEYS = [
    ("coffee", 3197928453018144401),
    ("咖啡", 7962530705879205333),
    ("猫", 12262475268243743508),
    ("AAAAAAAA", 13481118951018451647),
    ("AAAAAAAAA", 6745997093862630131),
    ("AAAAAAAAAAAAAAAA", 5694690226143560737),
    ("AAAAAAAAAAAAAAAAA", 9440221665676715370),
    ("HAHAHAHAHAHAHAHAHAHAHAH", 465596446138136690),
    ("naïve", 16224804062388677344),
]


@pytest.mark.parametrize("text,key", SPACY_KEYS)
def test_spacy_hash_matches_spacy(text, key):
    assert spacy_hash(text) == key


def test_murmurhash64a_seed_and_empty_input():
    assert 0 <= murmurhash64a(b"", 1) < 2**64
    assert murmurhash64a(b"coffee", 0) != murmurhash64a(b"coffee", 1)


# ---------------------------------------------------------------- loaders


def test_kumo_npy_uses_parquet_word_column_in_row_order(tmp_path):
    matrix = _matrix(len(WORDS), 3)
    np.save(tmp_path / "emb.npy", matrix)
    pd.DataFrame({"index": WORDS}).to_parquet(tmp_path / "index.parquet")
    spec = _spec("kumo_npy", {"vectors": "pkg/data/emb.npy", "index": "pkg/data/index.parquet"})
    kv = load_vectors(spec, tmp_path)
    assert kv.index_to_key == WORDS
    np.testing.assert_array_equal(kv["café"], matrix[3])
    assert kv.vectors.dtype == np.float32


def test_kumo_npy_rejects_index_of_other_length(tmp_path):
    np.save(tmp_path / "emb.npy", _matrix(4, 3))
    pd.DataFrame({"index": WORDS}).to_parquet(tmp_path / "index.parquet")
    spec = _spec("kumo_npy", {"vectors": "emb.npy", "index": "index.parquet"})
    with pytest.raises(SnntextError, match="5 words for a table of shape"):
        load_vectors(spec, tmp_path)


def test_word2vec_binary(tmp_path):
    source = KeyedVectors(vector_size=3)
    source.add_vectors(WORDS, _matrix(len(WORDS), 3))
    source.save_word2vec_format(str(tmp_path / "words.vector"), binary=True)
    kv = load_vectors(_spec("word2vec_binary", {"vectors": "synonyms-3.10.2/synonyms/data/words.vector"}), tmp_path)
    assert kv.index_to_key == WORDS
    np.testing.assert_array_equal(kv["好吃"], _matrix(len(WORDS), 3)[4])


def test_word2vec_text_gzipped(tmp_path):
    with gzip.open(tmp_path / "cc.vec.gz", "wt", encoding="utf-8") as out:
        out.write("2 3\n好吃 0.5 -1 2\n酒店 1 1 1\n")
    kv = load_vectors(_spec("word2vec_text", {"vectors": "cc.vec.gz"}), tmp_path)
    np.testing.assert_array_equal(kv["好吃"], np.array([0.5, -1, 2], dtype=np.float32))


def test_glove_text_has_no_header(tmp_path):
    (tmp_path / "glove.6B.3d.txt").write_text("the 0.1 0.2 0.3\n, -1 0 1\n", encoding="utf-8")
    kv = load_vectors(_spec("glove_text", {"vectors": "glove.6B.3d.txt"}), tmp_path)
    assert kv.index_to_key == ["the", ","]
    np.testing.assert_allclose(kv[","], [-1, 0, 1])


def _write_spacy_vocab(folder, matrix, key2row, strings):
    with open(folder / "vectors", "wb") as out:  # spaCy writes the table as .npy without extension
        np.save(out, matrix)
    (folder / "key2row").write_bytes(msgpack.packb(key2row))
    (folder / "strings.json").write_text(json.dumps(strings), encoding="utf-8")


SPACY_MEMBERS = {
    "vectors": "m/_model/vocab/vectors",
    "key2row": "m/_model/vocab/key2row",
    "strings": "m/_model/vocab/strings.json",
}


def test_spacy_vectors_map_strings_through_hash_to_shared_rows(tmp_path):
    matrix = _matrix(3, 3)
    key2row = {
        spacy_hash("Movie"): 1,
        spacy_hash("movie"): 1,
        spacy_hash("good"): 0,
        spacy_hash("coffee"): 2,
        spacy_hash("not-in-strings"): 0,
    }
    strings = ["Movie", "coffee", "good", "movie", "no-vector"]
    _write_spacy_vocab(tmp_path, matrix, key2row, strings)
    kv = load_vectors(_spec("spacy_vectors", SPACY_MEMBERS), tmp_path)
    # the table stays the real 3 rows; every listed string with a key points at its row
    assert kv.vectors.shape == (3, 3)
    assert set(kv.key_to_index) == {"Movie", "movie", "good", "coffee"}
    np.testing.assert_array_equal(kv["Movie"], matrix[1])
    np.testing.assert_array_equal(kv["movie"], matrix[1])
    np.testing.assert_array_equal(kv["coffee"], matrix[2])
    assert "no-vector" not in kv.key_to_index
    # a row is named by its lower-case string, so neighbour lists read naturally
    assert kv.index_to_key == ["good", "movie", "coffee"]


def test_spacy_vectors_reject_row_outside_table(tmp_path):
    _write_spacy_vocab(tmp_path, _matrix(2, 3), {spacy_hash("good"): 5}, ["good"])
    with pytest.raises(SnntextError, match="row 5 for 'good' is outside the 2-row table"):
        load_vectors(_spec("spacy_vectors", SPACY_MEMBERS), tmp_path)


def test_missing_member_names_path_and_download_stage(tmp_path):
    spec = _spec("glove_text", {"vectors": "glove.6B.300d.txt"})
    with pytest.raises(SnntextError, match=r"glove\.6B\.300d\.txt.*run the download stage"):
        load_vectors(spec, tmp_path / "absent")


def test_default_folder_is_raw_vectors_name(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings.paths, "RAW_DIR", tmp_path)
    folder = tmp_path / "vectors" / "tiny"
    folder.mkdir(parents=True)
    (folder / "v.txt").write_text("the 1 2 3\n", encoding="utf-8")
    assert load_vectors(_spec("glove_text", {"vectors": "deep/in/archive/v.txt"})).index_to_key == ["the"]


def test_dimension_must_match_registry(tmp_path):
    (tmp_path / "v.txt").write_text("the 1 2\n", encoding="utf-8")
    with pytest.raises(SnntextError, match="2 dimensions but .* says dim 3"):
        load_vectors(_spec("glove_text", {"vectors": "v.txt"}), tmp_path)


def test_corrupt_binary_file_is_a_user_error(tmp_path):
    (tmp_path / "words.vector").write_bytes(b"not a header\n\x00\x01")
    with pytest.raises(SnntextError, match="not a readable word2vec binary file"):
        load_vectors(_spec("word2vec_binary", {"vectors": "words.vector"}), tmp_path)


# ---------------------------------------------------------------- coverage


def test_coverage_token_and_type_level():
    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["a", "b"], np.zeros((2, 2), dtype=np.float32))
    result = coverage([["a", "a", "a", "x"], ["b", "y"]], kv)
    assert result == {"tokens": 6, "types": 4, "token_coverage": 4 / 6, "type_coverage": 2 / 4}
    assert coverage([], kv)["token_coverage"] == 0.0
