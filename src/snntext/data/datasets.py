"""Parsers for the raw dataset files, and the prepare step that writes train/dev/test TSVs.

Each registry format (see src/snntext/core/sources.yaml; the user's own datasets: datasets.yaml)
has one reader; all give rows of (text, label) with the label as an index into the entry's `labels`.
Rows without text are dropped and counted by reason: "empty_text" (an empty line, or an empty text
field), "label_only" (a line or row holding a label and no text). An error in a file names the file
and line; for a local `path` file of datasets.yaml, the user's file rather than its copy in data/raw.
Prepare refuses, before writing anything, a dataset whose splits leave train, dev or test with fewer
than MIN_SPLIT_ROWS rows, or whose rows all have one label.

Facts about the files that shape the readers:
- MR and Subj are cp1252 and contain byte 0x85 (cp1252 '…'). Read as latin-1 that byte is
  U+0085, which `str.splitlines()` treats as a line break (MR would give 10,685 sentences
  instead of 10,662), so lines are split on b"\\n" in the raw bytes, then decoded.
- ChnSenti has one row with an empty review: dropped, and counted under "empty_text".
- Waimai has 7 texts present twice with opposite labels: kept or dropped by the
  `prepare.conflicting_duplicates` param, counted either way.
- In ChnSenti and Waimai no quoted field holds a line break, so a CSV record must be one
  physical line. That is enforced: an unbalanced `"` would make Python's csv module merge
  every following line (up to the next `"` or the end of the file) into one field, silently
  losing rows, so it is an error naming the line where the quote opened.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from snntext.core.atomic import write_text_atomic
from snntext.core.config import CONFLICT_POLICIES, SPLITS
from snntext.core.errors import SnntextError
from snntext.data.splits import split_dataset, split_source
from snntext.data.tokenise import tokenise

if TYPE_CHECKING:
    from _csv import _QuotingType  # typeshed's: the csv.QUOTE_* values

SPLIT_FILES = {split: f"{split}.tsv" for split in SPLITS}
MIN_SPLIT_ROWS = 10  # prepare refuses a dataset whose train, dev or test split has fewer rows


@dataclass
class ParsedDataset:
    """A dataset as read from its raw files, before any split of ours.

    splits: the files' own splits ({"train","dev","test"} or {"train","test"}), else {"all"};
      each a DataFrame with columns text (str) and label (int), in file order.
    dropped: rows left out, by reason ("empty_text", "label_only", "conflicting_duplicate").
    conflicts: distinct texts present with more than one label (counted before the policy).
    conflict_rows: rows holding those texts.
    duplicate_texts: distinct texts present more than once (any labels), over all splits.
    duplicate_rows: rows beyond the first copy of each such text.
    """

    name: str
    splits: dict[str, pd.DataFrame]
    dropped: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    conflict_rows: int = 0
    conflict_policy: str = "keep"
    duplicate_texts: int = 0
    duplicate_rows: int = 0


# ---------------------------------------------------------------- readers, one per format


def _raw_path(raw_dir: Path, source_file) -> Path:
    path = Path(raw_dir) / source_file.group / source_file.name
    if not path.is_file():
        raise SnntextError(f"{path}: raw file missing; run the download stage first (dvc repro download)")
    return path


def _shown(path: Path, source_file) -> Path:
    """The file to name in messages about `path`: for a local `path` entry of datasets.yaml the user's
    own file (data/raw holds a copy checked against its sha256, so the lines are the same), else `path`."""
    return source_file.local_file or path


def _encoding_error(encoding: str, reason: str) -> str:
    return (
        f"not valid {encoding} ({reason}); "
        f"check the file's 'encoding' in its registry entry (sources.yaml or datasets.yaml)"
    )


def _read_text(path: Path, encoding: str, shown: Path) -> str:
    """The whole file as text (universal newlines); a byte that does not decode names its line, counted
    as _csv_records counts them (\\r\\n, \\r and \\n each end one)."""
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError:
        pass
    data = path.read_bytes()
    try:  # again in one piece: read_text decodes in chunks, so its error's offset is within a chunk
        data.decode(encoding)
    except UnicodeDecodeError as err:
        before = data[: err.start].decode(encoding, errors="replace")
        line = len(re.findall(r"\r\n|\r|\n", before)) + 1
        raise SnntextError(f"{shown} line {line}: {_encoding_error(encoding, err.reason)}") from None
    raise SnntextError(f"{shown}: {_encoding_error(encoding, 'a byte that does not decode')}")


def _read_lines(path: Path, encoding: str, shown: Path | None = None) -> list[tuple[int, str]]:
    """(line number, text) for each line; split on b"\\n" only, trailing \\r/whitespace stripped."""
    shown = path if shown is None else shown
    data = path.read_bytes()
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()  # the newline that ends the last line
    lines = []
    for number, raw in enumerate(pieces, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            reason = f"{err.reason} at byte {err.start}"
            raise SnntextError(f"{shown} line {number}: {_encoding_error(encoding, reason)}") from None
        lines.append((number, text.strip()))
    return lines


def _label_of(value: str, labels: list[str], where: str) -> int:
    """A label written as one of the declared names, or (when no name is a number) as an index."""
    if value in labels:
        return labels.index(value)
    numeric_names = any(name.isascii() and name.isdigit() for name in labels)
    if not numeric_names and value.isascii() and value.isdigit() and int(value) < len(labels):
        return int(value)
    index = "" if numeric_names else f" nor an index 0..{len(labels) - 1}"
    raise SnntextError(
        f"{where}: label {value!r} is neither a declared label name ({', '.join(labels)}){index}; "
        "fix or remove the line, or declare the label"
    )


def _read_polarity_file(path: Path, source_file, spec, dropped: Counter) -> list[tuple[str, int]]:
    """One sentence a line; the label comes from the file's registry entry."""
    label, n_labels = source_file.label, len(spec.labels)
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < n_labels:
        raise SnntextError(
            f"{spec.registry_file}: file {source_file.name} needs 'label' in 0..{n_labels - 1}, got {label!r}"
        )
    rows = []
    for _, text in _read_lines(path, source_file.encoding, _shown(path, source_file)):
        if not text:
            dropped["empty_text"] += 1
            continue
        rows.append((text, label))
    return rows


def _read_label_first(path: Path, source_file, spec, dropped: Counter) -> list[tuple[str, int]]:
    """ "<label> <sentence>" a line; a line holding only a label is dropped (counted as "label_only")."""
    rows = []
    shown = _shown(path, source_file)
    for number, line in _read_lines(path, source_file.encoding, shown):
        where = f"{shown} line {number}"
        if not line:
            dropped["empty_text"] += 1
            continue
        parts = line.split(maxsplit=1)
        label = _label_of(parts[0], spec.labels, where)
        if len(parts) < 2:
            dropped["label_only"] += 1
            continue
        rows.append((parts[1], label))
    return rows


def _unclosed_quote_error(path: Path, lines: list[str], index: int) -> SnntextError:
    """The error for lines[index] (0-based), which ends inside a quoted field: says where the
    quote opened and how far the merged field would run (to the next lone `"`, or the end)."""
    number = index + 1
    for later in range(index + 1, len(lines)):
        text, at = lines[later], 0
        while (at := text.find('"', at)) >= 0:
            if text.startswith('""', at):  # a doubled quote stays inside the field
                at += 2
                continue
            return SnntextError(
                f"{path} line {number}: a quote opened here is not closed until line {later + 1}, so lines "
                f"{number}-{later + 1} would be merged into one field (a quoted review may not span lines); "
                "fix or remove that line"
            )
    return SnntextError(
        f"{path} line {number}: a quote opened here is never closed "
        "(the rest of the file would be merged into one field); fix or remove that line"
    )


def _csv_records(path: Path, content: str, delimiter: str = ",", quoting: _QuotingType = csv.QUOTE_MINIMAL):
    """(line number, record) for each physical line of a CSV text; a record may not span lines.

    Lines split on \\n, \\r or \\r\\n, as the csv module splits them; each line is parsed on its
    own, which gives the same records as one reader over the whole text as long as no quoted
    field runs past the end of its line - and that is checked: a quote left open at the end of
    a line (or of the file) is an SnntextError naming that line.
    """
    lines = io.StringIO(content, newline="").readlines()
    for index, line in enumerate(lines):
        number = index + 1
        if not line.endswith(("\n", "\r")):
            line += "\n"  # the last line: inside an open quote the added newline lands in the field
        try:
            record = next(csv.reader([line], delimiter=delimiter, quoting=quoting))
        except csv.Error as err:
            raise SnntextError(f"{path} line {number}: {err}") from None
        if any("\n" in value or "\r" in value for value in record):
            raise _unclosed_quote_error(path, lines, index)
        yield number, record


def _label_index(value: str, n_labels: int, where: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) >= n_labels:
        raise SnntextError(f"{where}: label {value!r} is not one of 0..{n_labels - 1}; fix or remove the line")
    return int(value)


def _read_label_review_csv(path: Path, source_file, spec, dropped: Counter) -> list[tuple[str, int]]:
    """CSV with header label,review (quoted fields may hold commas and doubled quotes, not line breaks)."""
    n_labels = len(spec.labels)
    shown = _shown(path, source_file)
    content = _read_text(path, source_file.encoding, shown)
    records = _csv_records(shown, content.lstrip("\ufeff"))
    try:
        _, header = next(records)
    except StopIteration:
        raise SnntextError(f"{shown}: empty file; expected a header line 'label,review'") from None
    header = [column.strip() for column in header]
    if header != ["label", "review"]:
        raise SnntextError(f"{shown} line 1: header is {','.join(header)!r}, expected 'label,review'")
    rows = []
    for number, record in records:
        where = f"{shown} line {number}"
        if not record:
            dropped["empty_text"] += 1  # a blank line carries no row: counted, as the other formats count it
            continue
        if len(record) != 2:
            raise SnntextError(f"{where}: expected 2 fields (label,review), got {len(record)}; quote the review")
        label = _label_index(record[0].strip(), n_labels, where)
        text = record[1].strip()
        if not text:
            dropped["empty_text"] += 1
            continue
        rows.append((text, label))
    return rows


def _read_table(path: Path, source_file, spec, dropped: Counter) -> list[tuple[str, int]]:
    """A delimited file with a header row; the entry names the text and label columns (quoting csv:
    "..." fields may hold the delimiter and doubled quotes, not line breaks; none: quotes are text)."""
    layout = spec.table
    shown = _shown(path, source_file)
    content = _read_text(path, source_file.encoding, shown)
    quoting: _QuotingType = csv.QUOTE_NONE if layout.quoting == "none" else csv.QUOTE_MINIMAL
    records = _csv_records(shown, content.lstrip("\ufeff"), layout.delimiter, quoting)
    try:
        _, header = next(records)
    except StopIteration:
        raise SnntextError(f"{shown}: empty file; expected a header line naming the columns") from None
    header = [column.strip() for column in header]
    where_set = f"datasets.{spec.name} in {spec.registry_file}"
    for key, column in (("text_column", layout.text_column), ("label_column", layout.label_column)):
        if column not in header:
            raise SnntextError(
                f"{shown} line 1: no column {column!r} (the header has {', '.join(map(repr, header))}); "
                f"fix {key} of {where_set}, or its delimiter {layout.delimiter!r}"
            )
    text_at, label_at = header.index(layout.text_column), header.index(layout.label_column)
    rows = []
    for number, record in records:
        where = f"{shown} line {number}"
        if not any(value.strip() for value in record):
            dropped["empty_text"] += 1
            continue
        if len(record) != len(header):
            raise SnntextError(
                f"{where}: expected {len(header)} fields (as the header), got {len(record)}; "
                "quote a field that holds the delimiter"
            )
        text, label = record[text_at].strip(), record[label_at].strip()
        if not text:
            dropped["label_only"] += 1
            continue
        rows.append((text, _label_of(label, spec.labels, where)))
    return rows


_READERS = {
    "polarity_files": _read_polarity_file,
    "label_first": _read_label_first,
    "label_review_csv": _read_label_review_csv,
    "table": _read_table,
}


def _frame(rows: list[tuple[str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["text", "label"])
    return frame.astype({"text": str, "label": "int64"})


def _group_of(source_file, spec) -> str:
    split = getattr(source_file, "split", None)
    if split is None:
        return "all"
    if split not in SPLITS:
        raise SnntextError(
            f"{spec.registry_file}: file {source_file.name} has split {split!r}; allowed: {', '.join(SPLITS)}"
        )
    return split


def parse_dataset(spec, raw_dir: str | Path, conflicting_duplicates: str = "keep") -> ParsedDataset:
    """Read every raw file of a registry entry (a sources.DatasetSpec) from raw_dir/<group>/<name>.

    Returns the files' splits when each file names one (SST: train, dev, test; or train and test),
    else one "all" split. Texts
    present with opposite labels are kept or dropped (all their rows) per
    `conflicting_duplicates`; exact duplicates are only counted.
    """
    if spec.format not in _READERS:
        raise SnntextError(
            f"{spec.registry_file}: dataset {spec.name} has format {spec.format!r}; allowed: {', '.join(_READERS)}"
        )
    if conflicting_duplicates not in CONFLICT_POLICIES:
        raise SnntextError(
            f"params.yaml: key 'prepare.conflicting_duplicates' is {conflicting_duplicates!r}; "
            f"allowed: {', '.join(CONFLICT_POLICIES)}"
        )
    reader = _READERS[spec.format]
    dropped: Counter = Counter()
    grouped: dict[str, list[tuple[str, int]]] = {}
    for source_file in spec.files:
        rows = reader(_raw_path(Path(raw_dir), source_file), source_file, spec, dropped)
        grouped.setdefault(_group_of(source_file, spec), []).extend(rows)
    if "all" in grouped and len(grouped) > 1:
        raise SnntextError(
            f"{spec.registry_file}: dataset {spec.name} mixes files with and without 'split'; "
            "give every file a split or none"
        )
    if "all" not in grouped and set(grouped) not in (set(SPLITS), {"train", "test"}):
        raise SnntextError(
            f"{spec.registry_file}: dataset {spec.name} has files for splits {sorted(grouped)}; "
            f"needs all of {', '.join(SPLITS)}, or train and test (dev drawn from train)"
        )
    splits = {name: _frame(rows) for name, rows in grouped.items()}

    everything = pd.concat(splits.values(), ignore_index=True)
    copies = everything["text"].value_counts()
    labels_per_text = everything.groupby("text")["label"].nunique()
    conflicting = set(labels_per_text.index[labels_per_text > 1])
    conflict_rows = int(everything["text"].isin(conflicting).sum())
    if conflicting_duplicates == "drop" and conflicting:
        splits = {
            name: frame[~frame["text"].isin(conflicting)].reset_index(drop=True) for name, frame in splits.items()
        }
        dropped["conflicting_duplicate"] += conflict_rows
    return ParsedDataset(
        name=spec.name,
        splits=splits,
        dropped=dict(sorted(dropped.items())),
        conflicts=len(conflicting),
        conflict_rows=conflict_rows,
        conflict_policy=conflicting_duplicates,
        duplicate_texts=int((copies > 1).sum()),
        duplicate_rows=int((copies - 1).sum()),
    )


# ---------------------------------------------------------------- prepared TSV files


def write_split(frame: pd.DataFrame, path: str | Path) -> None:
    """Write text,label as a TSV atomically; quoting makes tabs, quotes, "NA" etc. round-trip."""
    write_text_atomic(
        path, frame[["text", "label"]].to_csv(sep="\t", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    )


def read_split(path: str | Path) -> pd.DataFrame:
    """Read a prepared TSV back exactly as written (no "NA"/"null" turned into NaN)."""
    path = Path(path)
    if not path.is_file():
        raise SnntextError(f"{path}: prepared split missing; run the prepare stage first (dvc repro prepare)")
    frame = pd.read_csv(
        path,
        sep="\t",
        dtype={"text": str, "label": "int64"},
        keep_default_na=False,
        na_filter=False,
        quoting=csv.QUOTE_MINIMAL,
        encoding="utf-8",
    )
    if list(frame.columns) != ["text", "label"]:
        raise SnntextError(f"{path}: columns are {list(frame.columns)}, expected text, label; rerun prepare")
    return frame


def read_prepared(prepared_dir: str | Path) -> dict[str, pd.DataFrame]:
    """train/dev/test frames of one prepared dataset folder (paths.prepared_dir(dataset))."""
    return {split: read_split(Path(prepared_dir) / SPLIT_FILES[split]) for split in SPLITS}


# ---------------------------------------------------------------- the prepare step


def split_stats(frame: pd.DataFrame, labels: list[str], language: str, max_len: int) -> dict:
    """Counts per label and lengths in tokens (as text.tokenise counts them) of one split."""
    lengths = pd.Series([len(tokenise(text, language)) for text in frame["text"]], dtype="int64")
    counts = frame["label"].value_counts()
    return {
        "count": int(len(frame)),
        "per_label": {name: int(counts.get(index, 0)) for index, name in enumerate(labels)},
        "mean_tokens": round(float(lengths.mean()), 3) if len(lengths) else 0.0,
        "max_tokens": int(lengths.max()) if len(lengths) else 0,
        "share_longer_than_max_len": round(float((lengths > max_len).mean()), 5) if len(lengths) else 0.0,
    }


def check_splits(
    spec,
    parsed: ParsedDataset,
    splits: dict[str, pd.DataFrame],
    raw_dir: str | Path,
    test_fraction: float,
    dev_fraction: float,
    min_rows: int = MIN_SPLIT_ROWS,
) -> None:
    """Refuse a dataset that cannot be trained and evaluated, with one SnntextError naming its registry
    entry and files: rows of a single label, fewer than `min_rows` rows in train, dev or test, or a
    train split of one label."""
    entry = f"{spec.registry_file}: datasets.{spec.name}"
    files = ", ".join(str(_shown(Path(raw_dir) / f.group / f.name, f)) for f in spec.files)
    everything = pd.concat(list(splits.values()), ignore_index=True)
    present = sorted(set(everything["label"].tolist()))
    if len(present) == 1:
        raise SnntextError(
            f"{entry}: all {len(everything)} rows of {files} have label {spec.labels[present[0]]!r}; a classifier "
            f"needs rows of at least two of its labels ({', '.join(spec.labels)})"
        )
    counts = {name: len(splits[name]) for name in SPLITS}
    if min(counts.values()) < min_rows:
        source = split_source(parsed.splits)
        fractions = {
            "standard": "",
            "dev_from_train": f" (dev drawn from train: prepare.dev_fraction {dev_fraction})",
            "stratified": f" (prepare.test_fraction {test_fraction}, prepare.dev_fraction {dev_fraction})",
        }[source]
        dropped = "".join(f", {count} {reason} dropped" for reason, count in parsed.dropped.items())
        few = source == "standard" or len(everything) < len(SPLITS) * min_rows  # no fractions would do
        fix = "add rows" if few else "add rows, or change those fractions"
        raise SnntextError(
            f"{entry}: its splits{fractions} have {', '.join(f'{n} {c}' for n, c in counts.items())} rows "
            f"({len(everything)} read from {files}{dropped}); prepare needs at least {min_rows} rows in each of "
            f"train, dev and test: {fix}"
        )
    trained = sorted(set(splits["train"]["label"].tolist()))
    if len(trained) == 1:
        raise SnntextError(
            f"{entry}: every train row (of {files}) has label {spec.labels[trained[0]]!r}; a classifier needs "
            "rows of at least two labels to train on"
        )


def prepare_dataset(
    spec,
    raw_dir: str | Path,
    out_dir: str | Path,
    stats_path: str | Path,
    seed: int,
    test_fraction: float,
    dev_fraction: float,
    conflicting_duplicates: str = "keep",
    min_rows: int = MIN_SPLIT_ROWS,
) -> dict:
    """Parse, split (standard splits kept; a missing dev drawn from train; else stratified from
    `seed`), check the splits (check_splits: nothing is written for a dataset it refuses), write
    out_dir/{train,dev,test}.tsv and the stats JSON; returns the stats.

    stats["split_source"]: "standard" (the files' train, dev, test), "dev_from_train" (the files'
    train and test; dev drawn from train by dev_fraction), "stratified" (test and dev drawn)."""
    parsed = parse_dataset(spec, raw_dir, conflicting_duplicates)
    splits = split_dataset(parsed.splits, test_fraction, dev_fraction, seed)
    check_splits(spec, parsed, splits, raw_dir, test_fraction, dev_fraction, min_rows)
    for name in SPLITS:
        write_split(splits[name], Path(out_dir) / SPLIT_FILES[name])
    source = split_source(parsed.splits)
    standard = source == "standard"
    stats = {
        "dataset": spec.name,
        "language": spec.language,
        "split_source": source,
        "seed": None if standard else seed,
        "test_fraction": test_fraction if source == "stratified" else None,
        "dev_fraction": None if standard else dev_fraction,
        "max_len": spec.max_len,
        "total": int(sum(len(frame) for frame in splits.values())),
        "splits": {name: split_stats(splits[name], list(spec.labels), spec.language, spec.max_len) for name in SPLITS},
        "duplicate_texts": parsed.duplicate_texts,
        "duplicate_rows": parsed.duplicate_rows,
        "conflicting_duplicates": {
            "texts": parsed.conflicts,
            "rows": parsed.conflict_rows,
            "policy": parsed.conflict_policy,
        },
        "dropped": parsed.dropped,
    }
    write_text_atomic(stats_path, json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats
