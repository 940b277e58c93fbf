"""Parsers on hand-written fixtures in each real format (tests/fixtures/datasets/<group>/<file>)."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import pandas as pd
import pytest

from snntext.core.errors import SnntextError
from snntext.core.registry import DatasetSpec, SourceFile
from snntext.data.datasets import parse_dataset, prepare_dataset, read_prepared, read_split, write_split
from snntext.data.tokenise import tokenise

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
# The fixtures hold a few rows each, and leave some splits empty: no minimum of rows per split (MIN_SPLIT_ROWS).
prepare_tiny = functools.partial(prepare_dataset, min_rows=0)
URL = "https://example.org/x"


def source(group, name, encoding="utf-8", label=None, split=None):
    return SourceFile(group=group, name=name, url=URL, sha256=None, encoding=encoding, label=label, split=split)


def spec(name, fmt, files, language="en", labels=("negative", "positive"), max_len=8):
    return DatasetSpec(name=name, language=language, format=fmt, labels=list(labels), max_len=max_len, files=files)


MR = spec(
    "mr",
    "polarity_files",
    [source("mr", "rt-polarity.neg", "cp1252", label=0), source("mr", "rt-polarity.pos", "cp1252", label=1)],
)
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


@pytest.mark.parametrize(
    "fmt, name, line, why",
    [
        ("label_first", "bad_label.txt", 3, "label 'x'"),
        ("label_first", "bad_label.txt", 3, "neither a declared label name (negative, positive) nor an index 0..1"),
        ("label_first", "not_utf8.txt", 2, "not valid utf-8"),
        ("label_review_csv", "bad_label.csv", 3, "label '2'"),
        ("label_review_csv", "missing_field.csv", 4, "expected 2 fields"),
        ("label_review_csv", "wrong_header.csv", 1, "expected 'label,review'"),
        # an unbalanced quote: Python's csv module would merge every later line into one field
        ("label_review_csv", "unclosed_quote_end.csv", 6, "a quote opened here is never closed"),
        ("label_review_csv", "unclosed_quote_middle.csv", 3, "a quote opened here is never closed"),
        ("label_review_csv", "unclosed_quote_last_line.csv", 4, "a quote opened here is never closed"),
        ("label_review_csv", "quote_spans_lines.csv", 3, "not closed until line 6, so lines 3-6 would be merged"),
    ],
)
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
    assert frame["label"].tolist() == [1, 0, 1, 0, 1]
    assert parsed.dropped == {"empty_text": 1}  # its blank line 4, counted as the other formats count one


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
    stats = prepare_tiny(
        MR, FIXTURES, tmp_path / "mr", tmp_path / "metrics" / "mr.json", seed=0, test_fraction=0.2, dev_fraction=0.25
    )
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
    stats = prepare_tiny(
        SST, FIXTURES, tmp_path / "sst2", tmp_path / "sst2.json", seed=0, test_fraction=0.1, dev_fraction=0.1
    )
    assert stats["split_source"] == "standard" and stats["seed"] is None
    assert (
        read_prepared(tmp_path / "sst2")["dev"]["text"].tolist()
        == parse_dataset(SST, FIXTURES).splits["dev"]["text"].tolist()
    )
    stats = prepare_tiny(
        WAIMAI,
        FIXTURES,
        tmp_path / "w",
        tmp_path / "w.json",
        seed=0,
        test_fraction=0.2,
        dev_fraction=0.2,
        conflicting_duplicates="drop",
    )
    assert stats["conflicting_duplicates"] == {"texts": 1, "rows": 2, "policy": "drop"}
    assert stats["dropped"] == {"conflicting_duplicate": 2} and stats["total"] == 5


# ---------------------------------------------------------------- the formats and split layouts of issue 19

# sha256 over train.tsv, dev.tsv, test.tsv and the stats JSON that prepare_dataset wrote for these
# fixtures before issue 19 (seed 0, test 0.2, dev 0.25): the shipped formats must give the same bytes.
GOLDEN = {
    ("mr", "keep"): "773e347f652edc28d47f8e5982ead2568c1223633cd8154eb7224f4bf6e72804",
    ("mr", "drop"): "a372987068bf3ee928335b5b2e5fe593ccffc95561467455d6dfe5f2a87650bb",
    ("sst2", "keep"): "3b3025d6c6baca564cf8d168b6c6db65235b92090595692d0e931348702a3dec",
    ("sst2", "drop"): "902f64af516016d14c475bea6e2c7b9efcc66e5dbb1a6ef924590b242273e564",
    ("chnsenti", "keep"): "4f8ca7495405a7545926dfa59811fd89141946d78af83e6b446e0ef8352cda85",
    ("chnsenti", "drop"): "9eeb579b7024d82ad5ed0fb7daebb7764563e2c1b22e72518bf42aae082f5edf",
    ("waimai", "keep"): "3eac899152194714911852c58f4f0a2f6caea083b25a9bf1874637ba5305f54e",
    ("waimai", "drop"): "4851cde2ac6f3b2c2c4f9d84c131c5250b57463f105bfba62a826234973aebc6",
}


@pytest.mark.parametrize("dataset, policy", sorted(GOLDEN))
def test_shipped_formats_prepare_byte_identical_to_before(tmp_path, dataset, policy):
    import hashlib

    spec = {"mr": MR, "sst2": SST, "chnsenti": CHNSENTI, "waimai": WAIMAI}[dataset]
    out = tmp_path / dataset
    prepare_tiny(
        spec,
        FIXTURES,
        out,
        out / "stats.json",
        seed=0,
        test_fraction=0.2,
        dev_fraction=0.25,
        conflicting_duplicates=policy,
    )
    digest = hashlib.sha256()
    for name in ("train.tsv", "dev.tsv", "test.tsv", "stats.json"):
        digest.update((out / name).read_bytes())
    assert digest.hexdigest() == GOLDEN[(dataset, policy)]


def write(folder: Path, group: str, name: str, text: str) -> None:
    (folder / group).mkdir(parents=True, exist_ok=True)
    (folder / group / name).write_text(text, encoding="utf-8")


QUESTIONS = [
    "what is an atom ?",
    "who was galileo ?",
    "where is milan ?",
    "what is teflon ?",
    "who invented radio ?",
    "where is perth ?",
    "what is a prism ?",
    "who wrote hamlet ?",
]


def test_label_first_label_only_and_empty_lines_are_dropped_and_counted(tmp_path):
    write(tmp_path, "q", "all.txt", "DESC what is an atom ?\nHUM\n\n1 who was galileo ?\n0\nDESC what is sonar ?\n")
    spec_ = spec("q", "label_first", [source("q", "all.txt")], labels=("DESC", "HUM"))
    parsed = parse_dataset(spec_, tmp_path)
    assert parsed.splits["all"]["label"].tolist() == [0, 1, 0]  # names and indices both map
    assert parsed.dropped == {"empty_text": 1, "label_only": 2}
    # the shipped fixture with a label-only line (line 2 holds "0") now parses
    sst = spec("s", "label_first", [source("malformed", "missing_sentence.txt")])
    assert parse_dataset(sst, FIXTURES).dropped == {"label_only": 1}


def test_numeric_label_names_are_names_not_indices(tmp_path):
    write(tmp_path, "r", "all.txt", "1 awful\n5 superb\n0 no such rating\n")
    ratings = spec("r", "label_first", [source("r", "all.txt")], labels=("1", "2", "3", "4", "5"))
    with pytest.raises(SnntextError, match=r"all.txt line 3: label '0' is neither a declared label name \(1, 2"):
        parse_dataset(ratings, tmp_path)
    write(tmp_path, "r", "all.txt", "1 awful\n5 superb\n")
    assert parse_dataset(ratings, tmp_path).splits["all"]["label"].tolist() == [0, 4]


def test_label_first_without_split_files_is_drawn_stratified(tmp_path):
    write(tmp_path, "q", "all.txt", "".join(f"{i % 2} {q}\n" for i, q in enumerate(QUESTIONS * 5)))
    spec_ = spec("q", "label_first", [source("q", "all.txt")], labels=("what", "who"))
    stats = prepare_tiny(
        spec_, tmp_path, tmp_path / "out", tmp_path / "q.json", seed=3, test_fraction=0.2, dev_fraction=0.25
    )
    assert stats["split_source"] == "stratified" and stats["seed"] == 3
    assert {n: s["count"] for n, s in stats["splits"].items()} == {"train": 24, "dev": 8, "test": 8}
    assert all(s["per_label"] == {"what": s["count"] // 2, "who": s["count"] // 2} for s in stats["splits"].values())


def test_train_and_test_files_get_dev_drawn_from_train(tmp_path):
    write(tmp_path, "q", "train.txt", "".join(f"{i % 2} {q} {i}\n" for i, q in enumerate(QUESTIONS * 5)))
    write(tmp_path, "q", "test.txt", "0 what is it ?\n1 who is it ?\n1\n")
    spec_ = spec("q", "label_first", [source("q", "train.txt", split="train"), source("q", "test.txt", split="test")])
    stats = prepare_tiny(
        spec_, tmp_path, tmp_path / "out", tmp_path / "q.json", seed=0, test_fraction=0.5, dev_fraction=0.25
    )
    splits = read_prepared(tmp_path / "out")
    assert stats["split_source"] == "dev_from_train"
    assert (stats["seed"], stats["test_fraction"], stats["dev_fraction"]) == (0, None, 0.25)
    assert {n: len(f) for n, f in splits.items()} == {"train": 30, "dev": 10, "test": 2}
    assert splits["test"]["text"].tolist() == ["what is it ?", "who is it ?"]  # test kept as given
    assert stats["splits"]["dev"]["per_label"] == {"negative": 5, "positive": 5}  # stratified
    assert not set(splits["dev"]["text"]) & set(splits["train"]["text"])
    assert stats["dropped"] == {"label_only": 1}
    again = prepare_tiny(
        spec_, tmp_path, tmp_path / "again", tmp_path / "a.json", seed=0, test_fraction=0.5, dev_fraction=0.25
    )
    assert again == stats and read_prepared(tmp_path / "again")["dev"].equals(splits["dev"])
    other = prepare_tiny(
        spec_, tmp_path, tmp_path / "other", tmp_path / "o.json", seed=1, test_fraction=0.5, dev_fraction=0.25
    )
    assert other["splits"]["dev"]["count"] == 10
    assert set(read_prepared(tmp_path / "other")["dev"]["text"]) != set(splits["dev"]["text"])


def table_spec(files, **layout):
    from snntext.core.registry import TableLayout

    return DatasetSpec(
        name="t",
        language="en",
        format="table",
        labels=["neg", "pos"],
        max_len=8,
        files=files,
        table=TableLayout(**{"text_column": "sentence", "label_column": "label", **layout}),
    )


def test_table_csv_with_label_names_and_counted_drops(tmp_path):
    write(tmp_path, "t", "all.csv", 'id,sentence,label\n1,"fine, really",pos\n2,dull,0\n3,,pos\n\n4,"said ""no""",1\n')
    parsed = parse_dataset(table_spec([source("t", "all.csv")]), tmp_path)
    frame = parsed.splits["all"]
    assert frame["text"].tolist() == ["fine, really", "dull", 'said "no"'] and frame["label"].tolist() == [1, 0, 1]
    assert parsed.dropped == {"empty_text": 1, "label_only": 1}


def test_table_tsv_without_quoting_keeps_quotes_as_text(tmp_path):
    write(tmp_path, "t", "train.tsv", 'sentence\tlabel\n"great" he said\tpos\nbad\tneg\n')
    write(tmp_path, "t", "test.tsv", 'sentence\tlabel\nok "fine\tpos\n')
    files = [source("t", "train.tsv", split="train"), source("t", "test.tsv", split="test")]
    parsed = parse_dataset(table_spec(files, delimiter="\t", quoting="none"), tmp_path)
    assert parsed.splits["train"]["text"].tolist() == ['"great" he said', "bad"]
    assert parsed.splits["test"]["text"].tolist() == ['ok "fine']


@pytest.mark.parametrize(
    "content, why",
    [
        ("text,label\nfine,pos\n", "no column 'sentence' (the header has 'text', 'label'); fix text_column"),
        ("sentence,label\nfine,pos,extra\n", "line 2: expected 2 fields (as the header), got 3"),
        ("sentence,label\nfine,maybe\n", "line 2: label 'maybe' is neither a declared label name (neg, pos)"),
        ("sentence,label\nfine,\n", "line 2: label '' is neither"),
        ('sentence,label\n"open,pos\nshut,neg\n', "line 2: a quote opened here is never closed"),
    ],
)
def test_table_errors_name_file_and_line(tmp_path, content, why):
    write(tmp_path, "t", "all.csv", content)
    with pytest.raises(SnntextError) as err:
        parse_dataset(table_spec([source("t", "all.csv")]), tmp_path)
    assert "all.csv" in str(err.value) and why in str(err.value)


# ---------------------------------------------------------------- issue 31: refused before anything is written

PAIRS = [
    (f"{a} {b} film", int(a in ("good", "great", "fine")))
    for a in ("good", "great", "fine", "bad", "dull", "poor")
    for b in ("a", "b", "c", "d", "e", "f", "g")
]


def label_first_dataset(folder: Path, rows, **files) -> DatasetSpec:
    write(folder, "q", "all.txt", "".join(f"{label} {text}\n" for text, label in rows))
    return spec("q", "label_first", [source("q", "all.txt", **files)], labels=("neg", "pos"))


SPLIT = "its splits (prepare.test_fraction 0.1, prepare.dev_fraction 0.1) have "
NEEDS = "); prepare needs at least 10 rows in each of train, dev and test: add rows"


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], SPLIT + "train 0, dev 0, test 0 rows (0 read from {file}" + NEEDS),
        (PAIRS[:3] + PAIRS[-3:], SPLIT + "train 6, dev 0, test 0 rows (6 read from {file}" + NEEDS),
        (
            PAIRS * 2,
            SPLIT + "train 68, dev 8, test 8 rows (84 read from {file}" + NEEDS + ", or change those fractions",
        ),
        (
            [(t, 1) for t, _ in PAIRS],
            "all 42 rows of {file} have label 'pos'; a classifier needs rows of at least two of its labels (neg, pos)",
        ),
    ],
    ids=["empty", "six-rows", "dev-and-test-below-minimum", "one-class"],
)
def test_prepare_refuses_a_dataset_that_cannot_train_and_writes_nothing(tmp_path, rows, message):
    dataset = label_first_dataset(tmp_path, rows)
    out, stats = tmp_path / "out", tmp_path / "q.json"
    with pytest.raises(SnntextError) as err:
        prepare_dataset(dataset, tmp_path, out, stats, seed=0, test_fraction=0.1, dev_fraction=0.1)
    entry = f"{dataset.registry_file}: datasets.q: "
    assert str(err.value) == entry + message.format(file=tmp_path / "q" / "all.txt")
    assert not out.exists() and not stats.exists()


def test_prepare_refuses_a_train_split_of_one_label(tmp_path):
    write(tmp_path, "q", "train.txt", "".join(f"1 {text}\n" for text, _ in PAIRS[:20]))
    write(tmp_path, "q", "dev.txt", "".join(f"{label} {text}\n" for text, label in PAIRS[20:32]))
    write(tmp_path, "q", "test.txt", "".join(f"{label} {text}\n" for text, label in PAIRS[30:]))
    files = [source("q", f"{s}.txt", split=s) for s in ("train", "dev", "test")]
    with pytest.raises(SnntextError, match=r"datasets.q: every train row \(of .*train.txt, .*\) has label 'positive'"):
        prepare_dataset(spec("q", "label_first", files), tmp_path, tmp_path / "out", tmp_path / "q.json", 0, 0.1, 0.1)
    assert not (tmp_path / "out").exists()


def test_prepare_keeps_a_dataset_at_the_minimum(tmp_path):
    dataset = label_first_dataset(tmp_path, PAIRS * 3)  # 126 rows: test 12, dev 12
    stats = prepare_dataset(dataset, tmp_path, tmp_path / "out", tmp_path / "q.json", 0, 0.1, 0.1)
    assert {n: s["count"] for n, s in stats["splits"].items()} == {"train": 102, "dev": 12, "test": 12}


def test_errors_name_the_users_file_not_its_copy_in_data_raw(tmp_path, monkeypatch):
    from snntext.core import paths

    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    mine = tmp_path / "data" / "external" / "q.txt"
    local = dataclasses.replace(source("q", "q.txt"), url=None, path="data/external/q.txt")
    for fmt, text in [("label_first", "pos fine\nmaybe dull\n"), ("table", "sentence,label\nfine,pos\ndull,maybe\n")]:
        write(tmp_path / "raw", "q", "q.txt", text)  # the copy the download stage made
        dataset = table_spec([local]) if fmt == "table" else spec("q", fmt, [local], labels=("neg", "pos"))
        with pytest.raises(SnntextError) as err:
            parse_dataset(dataset, tmp_path / "raw")
        assert str(err.value).startswith(f"{mine} line {2 if fmt == 'label_first' else 3}: label 'maybe' is neither")


@pytest.mark.parametrize("fmt", ["table", "label_review_csv"])
def test_a_byte_that_does_not_decode_names_its_line(tmp_path, fmt):
    header, good, bad = (
        (b"sentence,label\r\n", b"fine,pos\r\ndull,neg\n", b"caf\xe9,pos\n")
        if fmt == "table"
        else (b"label,review\r\n", b"1,fine\r\n0,dull\n", b"1,caf\xe9\n")
    )
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "all.csv").write_bytes(header + good * 3000 + bad)  # past read_text's first chunk
    dataset = table_spec([source("t", "all.csv")]) if fmt == "table" else spec("t", fmt, [source("t", "all.csv")])
    with pytest.raises(SnntextError) as err:
        parse_dataset(dataset, tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 't' / 'all.csv'} line 6002: not valid utf-8 (invalid continuation byte); "
        "check the file's 'encoding' in its registry entry (sources.yaml or datasets.yaml)"
    )


def test_label_review_csv_counts_blank_lines_as_the_other_formats_do(tmp_path):
    write(tmp_path, "c", "all.csv", "label,review\n\n1,fine\n\n0,dull\n0,\n\n")
    parsed = parse_dataset(spec("c", "label_review_csv", [source("c", "all.csv")]), tmp_path)
    assert parsed.splits["all"]["text"].tolist() == ["fine", "dull"]
    assert parsed.dropped == {"empty_text": 4}  # three blank lines and one empty review
