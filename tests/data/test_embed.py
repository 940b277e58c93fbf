"""The embed step on a tiny dataset: vocab over all splits, ids, table, files, metrics, stage script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from snntext.core.config import EmbedConfig
from snntext.core.errors import SnntextError
from snntext.core.params import load_config
from snntext.data.embed import embed_splits, read_embedded, run_embed, write_embedded
from tests.params_helper import write_params

ROOT = Path(__file__).resolve().parents[2]
TEXTS = {"train": ["good movie", "bad bad plot"], "dev": ["a good zzz"], "test": ["unseen test word"]}
LABELS = {"train": [1, 0], "dev": [1], "test": [0]}


def _whitespace(text: str, language: str) -> list[str]:
    return text.split()


def _kv(words, dim=2, seed=0):
    kv = KeyedVectors(vector_size=dim)
    kv.add_vectors(words, np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32))
    return kv


def _embed(oov="paper", compare=None):
    kv = _kv(["good", "movie", "bad", "plot", "a", "test", "word", "extra"])
    return kv, embed_splits(
        TEXTS, LABELS, language="en", max_len=3, kv=kv, clip_sigma=3.0, oov=oov, tokenise=_whitespace, compare=compare
    )


def test_vocab_spans_all_splits_and_ids_follow_it():
    _, result = _embed()
    vocab = result["vocab"]
    assert vocab[:2] == ["<pad>", "<unk>"] and "test" in vocab and "word" in vocab  # test-only words kept
    assert "zzz" not in vocab and "unseen" not in vocab and "extra" not in vocab  # unknown / unused: no row
    index = {t: i for i, t in enumerate(vocab)}
    arrays = result["arrays"]
    np.testing.assert_array_equal(
        arrays["train_ids"], [[index["good"], index["movie"], 0], [index["bad"], index["bad"], index["plot"]]]
    )
    np.testing.assert_array_equal(arrays["dev_ids"], [[index["a"], index["good"], 1]])
    np.testing.assert_array_equal(arrays["test_ids"], [[1, index["test"], index["word"]]])
    assert arrays["train_labels"].dtype == np.int64 and arrays["dev_ids"].dtype == np.int32


def test_table_uses_global_statistics_of_the_whole_vector_table():
    kv, result = _embed()
    all_entries = kv.vectors.astype(np.float64)
    assert result["meta"]["global_mean"] == pytest.approx(all_entries.mean())
    assert result["meta"]["global_std"] == pytest.approx(all_entries.std())
    table = result["table"]
    assert table.shape == (len(result["vocab"]), 2) and table.min() >= 0 and table.max() <= 1
    assert np.all(table[0] == 0)


def test_metrics_count_coverage_oov_and_truncation():
    _, result = _embed(compare={"other": _kv(["good"]), "absent": "not downloaded"})
    m = result["metrics"]
    # 11 tokens; unknown: zzz, unseen -> token coverage 9/11; 9 types, 7 known
    assert m["coverage"] == {"tokens": 11, "types": 9, "token_coverage": 9 / 11, "type_coverage": 7 / 9}
    # encoded non-padding positions: 2 + 3 + 3 + 3 = 11, of which 2 are <unk> (zzz, unseen)
    assert m["oov_rate"] == pytest.approx(2 / 11)
    assert m["truncated_share"] == 0.0
    assert m["compare"]["other"]["token_coverage"] == pytest.approx(2 / 11)
    assert m["compare"]["absent"] == {"skipped": "not downloaded"}
    assert m["sentences"] == {"train": 2, "dev": 1, "test": 1}


def test_truncation_share():
    kv = _kv(["a"])
    texts = {"train": ["a a a a", "a"], "dev": ["a a a"], "test": ["a a a a a"]}
    result = embed_splits(
        texts,
        {"train": [0, 1], "dev": [0], "test": [1]},
        language="en",
        max_len=3,
        kv=kv,
        clip_sigma=3.0,
        oov="zero",
        tokenise=_whitespace,
    )
    assert result["metrics"]["truncated_share"] == 0.5
    assert np.all(result["table"][1] == 0)  # oov "zero": like padding


def test_write_and_read_back(tmp_path):
    _, result = _embed()
    write_embedded(result, tmp_path / "out", tmp_path / "metrics" / "embed" / "x.json")
    back = read_embedded(tmp_path / "out")
    assert back["vocab"] == result["vocab"]
    np.testing.assert_array_equal(back["table"], result["table"])
    assert back["table"].dtype == np.float32
    assert set(back["arrays"]) == {f"{s}_{k}" for s in ("train", "dev", "test") for k in ("ids", "labels")}
    assert back["meta"]["max_len"] == 3
    assert json.loads((tmp_path / "metrics" / "embed" / "x.json").read_text())["vocab_size"] == len(result["vocab"])
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out" / "table.npy").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_vocab_token_with_line_break_is_refused(tmp_path):
    _, result = _embed()
    result["vocab"].append("two\nlines")
    with pytest.raises(ValueError, match="line breaks"):
        write_embedded(result, tmp_path / "out", tmp_path / "m.json")


def _tiny_project(root: Path, params_extra: dict | None = None) -> None:
    """A project root with prepared MR TSVs and a 50-d kumo-format glove-6b-50d, as the real stages leave them."""
    prepared = root / "data" / "prepared" / "mr"
    prepared.mkdir(parents=True)
    rows = {"train": [("a good movie", 1), ("a bad , bad plot", 0)], "dev": [("good", 1)], "test": [("NA plot", 0)]}
    for split, data in rows.items():
        pd.DataFrame(data, columns=["text", "label"]).to_csv(prepared / f"{split}.tsv", sep="\t", index=False)
    vectors = root / "data" / "raw" / "vectors" / "glove-6b-50d"
    vectors.mkdir(parents=True)
    words = ["a", "good", "movie", "bad", ",", "plot"]
    np.save(vectors / "glove_6B_50d_emb.npy", np.random.default_rng(0).normal(size=(6, 50)).astype(np.float32))
    pd.DataFrame({"index": words}).to_parquet(vectors / "glove_6B_index.parquet")
    write_params(
        root / "params.yaml",
        {
            "embed.english": "glove-6b-50d",
            "embed.chinese": "synonyms-w2v-100d",
            "embed.oov": "paper",
            "embed.clip_sigma": 3.0,
            "embed.compare": [],
            **(params_extra or {}),
        },
    )


def _run_stage(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SNNTEXT_ROOT": str(root), "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, str(ROOT / "stages" / "embed.py"), *args, "--params", str(root / "params.yaml")],
        env=env,
        capture_output=True,
        text=True,
    )


def test_stage_script_end_to_end(tmp_path):
    _tiny_project(tmp_path, {"embed.compare": ["spacy-md-300d", "synonyms-w2v-100d"]})
    done = _run_stage(tmp_path, "mr")
    assert done.returncode == 0, done.stderr
    out = read_embedded(tmp_path / "data" / "embedded" / "mr")
    assert out["meta"]["vectors"] == "glove-6b-50d" and out["meta"]["dim"] == 50
    assert out["arrays"]["train_ids"].shape == (2, 35)  # mr's max_len from the registry
    # known tokens by frequency, ties alphabetical; "NA" stays text (not NaN), lower-cased, has no vector
    assert out["vocab"] == ["<pad>", "<unk>", "a", "bad", "good", "plot", ",", "movie"]
    np.testing.assert_array_equal(out["arrays"]["test_ids"][0, :3], [1, 5, 0])
    metrics = json.loads((tmp_path / "metrics" / "embed" / "mr.json").read_text())
    assert metrics["compare"]["spacy-md-300d"]["skipped"].startswith("not downloaded")
    assert metrics["compare"]["synonyms-w2v-100d"]["skipped"] == "language zh, dataset is en"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The tiny project, with snntext.core.paths pointed at it (for in-process runs)."""
    from snntext.core import paths

    _tiny_project(tmp_path)
    for name in ("RAW_DIR", "PREPARED_DIR", "EMBEDDED_DIR", "METRICS_DIR"):
        monkeypatch.setattr(paths, name, tmp_path / getattr(paths, name).relative_to(paths.PROJECT_ROOT))
    return tmp_path


def test_missing_vectors_name_the_file_and_the_download_stage(project):
    for path in (project / "data" / "raw" / "vectors" / "glove-6b-50d").iterdir():
        path.unlink()
    with pytest.raises(SnntextError, match=r"data/raw/vectors/glove-6b-50d/glove_6B_.*run the download stage"):
        run_embed("mr", load_config(project / "params.yaml").embed)


def test_vectors_of_other_language_are_rejected(project):
    write_params(project / "params.yaml", {"embed.english": "synonyms-w2v-100d"})
    with pytest.raises(SnntextError, match=r"key 'embed.english' is 'synonyms-w2v-100d', not a 'en' vector set"):
        load_config(project / "params.yaml")
    with pytest.raises(SnntextError, match=r"vector set 'synonyms-w2v-100d' is 'zh', dataset 'mr' is 'en'"):
        run_embed("mr", EmbedConfig(english="synonyms-w2v-100d", chinese="synonyms-w2v-100d"))


def test_in_process_run_writes_outputs_and_metrics(project):
    metrics = run_embed("mr", load_config(project / "params.yaml").embed)
    assert metrics["vectors"] == "glove-6b-50d" and metrics["compare"] == {}
    assert (project / "metrics" / "embed" / "mr.json").is_file()
    assert read_embedded(project / "data" / "embedded" / "mr")["table"].shape == (metrics["vocab_size"], 50)


def test_signed_code_doubles_the_columns_and_is_recorded_only_when_chosen():
    kv = _kv(["good", "movie", "bad", "plot", "a", "test", "word", "extra"])
    shift = embed_splits(
        TEXTS, LABELS, language="en", max_len=3, kv=kv, clip_sigma=3.0, oov="zero", tokenise=_whitespace
    )
    signed = embed_splits(
        TEXTS, LABELS, language="en", max_len=3, kv=kv, clip_sigma=3.0, oov="zero", tokenise=_whitespace, code="signed"
    )
    assert "code" not in shift["meta"] and "input_code" not in shift["metrics"]
    assert signed["meta"]["code"] == signed["metrics"]["input_code"] == "signed"
    assert signed["table"].shape == (shift["table"].shape[0], 2 * shift["table"].shape[1])
    assert signed["meta"]["dim"] == 2 * shift["meta"]["dim"]
    assert not signed["table"][:2].any()  # padding and (oov zero) unknown words never spike
    for key in ("train_ids", "test_ids"):
        np.testing.assert_array_equal(signed["arrays"][key], shift["arrays"][key])


def test_latency_and_dead_zone_are_recorded_and_the_dead_zone_silences_values_near_the_mean():
    from snntext.coding.input_codes import signed_table

    kv = _kv(["good", "movie", "bad", "plot", "a", "test", "word", "extra"])
    common = dict(language="en", max_len=3, kv=kv, clip_sigma=3.0, oov="zero", tokenise=_whitespace)
    signed = embed_splits(TEXTS, LABELS, **common, code="signed")
    latency = embed_splits(TEXTS, LABELS, **common, code="latency")
    zoned = embed_splits(TEXTS, LABELS, **common, code="latency", dead_zone=1.0)
    assert latency["table"].tobytes() == signed["table"].tobytes()  # latency times its spikes from the signed table
    assert (
        latency["meta"]["code"] == latency["metrics"]["input_code"] == "latency" and "dead_zone" not in latency["meta"]
    )
    assert zoned["meta"]["dead_zone"] == zoned["metrics"]["dead_zone"] == 1.0
    half = signed["table"].shape[1] // 2
    value = signed["table"][:, :half] - signed["table"][:, half:]  # z / c
    inside = np.abs(value) <= 1.0 / 3.0 - 1e-6
    assert inside.any() and not zoned["table"][:, :half][inside].any() and not zoned["table"][:, half:][inside].any()
    assert zoned["table"].sum() < signed["table"].sum()
    assert signed_table(np.full((1, 2), 0.5, dtype=np.float32), 1.0, 3.0).sum() == 0
