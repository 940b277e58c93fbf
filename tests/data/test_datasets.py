"""Parsers on hand-written fixtures in each real format (tests/fixtures/datasets/<group>/<file>)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from snntext.data.datasets import parse_dataset, prepare_dataset, read_prepared, read_split, write_split
from snntext.data.sources import DatasetSpec, SourceFile
from snntext.errors import SnntextError
from snntext.text import tokenise

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
URL = "https://example.org/x"


def source(group, name, encoding="utf-8", label=None, split=None):
    return SourceFile(group=group, name=name, url=URL, sha256=None, encoding=encoding, label=label, split=split)


def spec(name, fmt, files, language="en", labels=("negative", "positive"), max_len=8):
    return DatasetSpec(name=name, language=language, format=fmt, labels=list(labels), max_len=max_len, files=files)


MR = spec("mr", "polarity_files", [
    source("mr", "rt-polarity.neg", "cp1252", label=0),
    source("mr", "rt-polarity.pos", "cp1252", label=1),
])
SST = spec("sst2", "label_first", [source("sst2", f"stsa.binary.{s}", split=s) for s in ("train", "dev", "test")])
CHNSENTI = spec("chnsenti", "label_review_csv", [source("chnsenticorp", "ChnSentiCorp_htl_all.csv")], language="zh")
WAIMAI = spec("waimai", "label_review_csv", [source("waimai10k", "waimai_10k.csv")], language="zh")


def test_polarity_files_split_on_newline_only_and_decode_cp1252():
    raw = (FIXTURES / "mr" / "rt-polarity.neg").read_bytes()
    assert b"\x85" in raw and len(raw.decode("latin-1").splitlines()) > raw.count(b"\n")  # the trap is present
    parsed = parse_dataset(MR, FIXTURES)
    frame = parsed.splits["all"]
    assert set(parsed.splits) == {"all"}
    assert frame["label"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    assert frame["text"][0] == "simplistic , silly and tedious ."  # trailing spaces and \r stripped
    assert frame["text"][1] == "the film's ending \u2026 well , it's a letdown ."
    assert frame["text"][4] == "a gorgeous , witty , seductive movie \u2026 and caf\u00e9 scenes ."
    assert parsed.duplicate_texts == 1 and parsed.duplicate_rows == 1 and parsed.conflicts == 0
    assert parsed.dropped == {}


def test_label_first_keeps_standard_splits():
    parsed = parse_dataset(SST, FIXTURES)
    assert {name: len(frame) for name, frame in parsed.splits.items()} == {"train": 4, "dev": 2, "test": 2}
    assert parsed.splits["train"]["text"][2] == "the story -lrb- and the film -rrb- is a delight ."
    assert parsed.splits["test"]["label"].tolist() == [0, 1]
    assert parsed.splits["train"]["label"].dtype == "int64"
    assert parsed.duplicate_texts == 1  # the same sentence in train and dev


def test_label_review_csv_drops_and_counts_empty_review():
    parsed = parse_dataset(CHNSENTI, FIXTURES)
    frame = parsed.splits["all"]
    assert len(frame) == 4 and parsed.dropped == {"empty_text": 1}
    assert frame["text"][0] == '距离川沙公路较近,但是公交指示不对,如果是"蔡陆线"的话,会非常麻烦.'
    assert frame["label"].tolist() == [1, 1, 0, 0]


@pytest.mark.parametrize("policy, rows, dropped", [("keep", 7, {}), ("drop", 5, {"conflicting_duplicate": 2})])
def test_conflicting_duplicates_kept_or_dropped_and_counted(policy, rows, dropped):
    parsed = parse_dataset(WAIMAI, FIXTURES, conflicting_duplicates=policy)
    frame = parsed.splits["all"]
    assert len(frame) == rows and parsed.dropped == dropped
    assert parsed.conflicts == 1 and parsed.conflict_rows == 2 and parsed.conflict_policy == policy
    assert parsed.duplicate_texts == 2 and parsed.duplicate_rows == 2  # 还行吧 (conflict) and 很好吃 (same label)
    assert ("还行吧" in set(frame["text"])) == (policy == "keep")
    assert (frame["text"] == "很好吃").sum() == 2  # same-label duplicates are only counted


def test_unknown_conflict_policy_names_the_param():
    with pytest.raises(SnntextError, match="prepare.conflicting_duplicates"):
        parse_dataset(WAIMAI, FIXTURES, conflicting_duplicates="merge")


@pytest.mark.parametrize("fmt, name, line, why", [
    ("label_first", "bad_label.txt", 3, "label 'x'"),
    ("label_first", "missing_sentence.txt", 2, "expected '<label> <sentence>'"),
    ("label_first", "not_utf8.txt", 2, "not valid utf-8"),
    ("label_review_csv", "bad_label.csv", 3, "label '2'"),
    ("label_review_csv", "missing_field.csv", 4, "expected 2 fields"),
    ("label_review_csv", "wrong_header.csv", 1, "expected 'label,review'"),
    # an unbalanced quote: Python's csv module would merge every later line into one field
    ("label_review_csv", "unclosed_quote_end.csv", 6, "a quote opened here is never closed"),
    ("label_review_csv", "unclosed_quote_middle.csv", 3, "a quote opened here is never closed"),
    ("label_review_csv", "unclosed_quote_last_line.csv", 4, "a quote opened here is never closed"),
    ("label_review_csv", "quote_spans_lines.csv", 3, "not closed until line 6, so lines 3-6 would be merged"),
])
def test_malformed_line_names_file_and_line(fmt, name, line, why):
    split = {"split": "train"} if fmt == "label_first" else {}
    files = [source("malformed", name, **split)]
    if fmt == "label_first":
        files += [source("sst2", f"stsa.binary.{s}", split=s) for s in ("dev", "test")]
    with pytest.raises(SnntextError) as err:
        parse_dataset(spec("bad", fmt, files), FIXTURES)
    message = str(err.value)
    assert f"{name} line {line}:" in message and why in message


def test_unclosed_quote_message_names_path_and_line():
    with pytest.raises(SnntextError) as err:
        parse_dataset(spec("bad", "label_review_csv", [source("malformed", "unclosed_quote_end.csv")]), FIXTURES)
    assert str(err.value) == (
        f"{FIXTURES / 'malformed' / 'unclosed_quote_end.csv'} line 6: a quote opened here is never closed "
        "(the rest of the file would be merged into one field); fix or remove that line"
    )


def test_quoted_commas_and_doubled_quotes_still_parse():
    parsed = parse_dataset(spec("ok", "label_review_csv", [source("malformed", "quoted_commas_ok.csv")]), FIXTURES)
    frame = parsed.splits["all"]
    assert frame["text"].tolist() == [
        '距离川沙公路较近,但是公交指示不对,如果是"蔡陆线"的话,会非常麻烦.',
        "房间小,隔音差",
        '"干净",安静',
        '他说"还行"吧',  # a quote inside an unquoted field is literal, not an opening quote
        "早餐一般,服务好",
    ]
    assert frame["label"].tolist() == [1, 0, 1, 0, 1] and parsed.dropped == {}


def test_missing_raw_file_says_to_download(tmp_path):
    with pytest.raises(SnntextError, match=r"rt-polarity.neg: raw file missing; run the download stage"):
        parse_dataset(MR, tmp_path)


def test_tsv_round_trips_awkward_texts(tmp_path):
    texts = ['say "hi"', "tab\there", "NA", "null", "", "  padded ", "#comment", "1", "a,b", '"', "line\nbreak"]
    frame = pd.DataFrame({"text": texts, "label": list(range(len(texts)))})
    write_split(frame, tmp_path / "x.tsv")
    back = read_split(tmp_path / "x.tsv")
    pd.testing.assert_frame_equal(back, frame)
    assert [p.name for p in tmp_path.iterdir()] == ["x.tsv"]  # no temp file left behind


def test_prepare_dataset_writes_splits_and_stats(tmp_path):
    stats = prepare_dataset(MR, FIXTURES, tmp_path / "mr", tmp_path / "metrics" / "mr.json",
                            seed=0, test_fraction=0.2, dev_fraction=0.25)
    splits = read_prepared(tmp_path / "mr")
    assert sum(len(f) for f in splits.values()) == 8 == stats["total"]
    assert {n: len(f) for n, f in splits.items()} == {n: s["count"] for n, s in stats["splits"].items()}
    assert stats["split_source"] == "stratified" and stats["seed"] == 0
    assert json.loads((tmp_path / "metrics" / "mr.json").read_text()) == stats
    every = pd.concat(splits.values())
    assert sorted(every["text"]) == sorted(parse_dataset(MR, FIXTURES).splits["all"]["text"])
    lengths = [len(tokenise(t, "en")) for t in every["text"]]
    assert max(s["max_tokens"] for s in stats["splits"].values()) == max(lengths)
    longer = sum(s["share_longer_than_max_len"] * s["count"] for s in stats["splits"].values())
    assert round(longer) == sum(n > MR.max_len for n in lengths)
    total_per_label = {k: sum(s["per_label"][k] for s in stats["splits"].values()) for k in MR.labels}
    assert total_per_label == {"negative": 3, "positive": 5}


def test_prepare_dataset_keeps_standard_splits_and_reports_policy(tmp_path):
    stats = prepare_dataset(SST, FIXTURES, tmp_path / "sst2", tmp_path / "sst2.json",
                            seed=0, test_fraction=0.1, dev_fraction=0.1)
    assert stats["split_source"] == "standard" and stats["seed"] is None
    assert read_prepared(tmp_path / "sst2")["dev"]["text"].tolist() == parse_dataset(SST, FIXTURES).splits["dev"]["text"].tolist()
    stats = prepare_dataset(WAIMAI, FIXTURES, tmp_path / "w", tmp_path / "w.json", seed=0,
                            test_fraction=0.2, dev_fraction=0.2, conflicting_duplicates="drop")
    assert stats["conflicting_duplicates"] == {"texts": 1, "rows": 2, "policy": "drop"}
    assert stats["dropped"] == {"conflicting_duplicate": 2} and stats["total"] == 5
