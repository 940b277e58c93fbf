"""Parsers for the raw dataset files, and the prepare step that writes train/dev/test TSVs.

Each registry format (see src/snntext/data/sources.yaml) has one reader; all give rows of
(text, label) with the label as an index into the registry's `labels` list.

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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from snntext.atomic import write_text_atomic
from snntext.config import CONFLICT_POLICIES, SPLITS
from snntext.data.splits import split_dataset
from snntext.errors import SnntextError
from snntext.text import tokenise

SPLIT_FILES = {split: f"{split}.tsv" for split in SPLITS}


@dataclass
class ParsedDataset:
    """A dataset as read from its raw files, before any split of ours.

    splits: {"train","dev","test"} when the source has standard splits, else {"all"};
      each a DataFrame with columns text (str) and label (int), in file order.
    dropped: rows left out, by reason ("empty_text", "conflicting_duplicate").
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


def _read_lines(path: Path, encoding: str) -> list[tuple[int, str]]:
    """(line number, text) for each line; split on b"\\n" only, trailing \\r/whitespace stripped."""
    data = path.read_bytes()
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()  # the newline that ends the last line
    lines = []
    for number, raw in enumerate(pieces, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            raise SnntextError(
                f"{path} line {number}: not valid {encoding} ({err.reason} at byte {err.start}); "
                f"check the file's 'encoding' in src/snntext/data/sources.yaml"
            ) from None
        lines.append((number, text.strip()))
    return lines


def _label_index(value: str, n_labels: int, where: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) >= n_labels:
        raise SnntextError(f"{where}: label {value!r} is not one of 0..{n_labels - 1}; fix or remove the line")
    return int(value)


def _read_polarity_file(path: Path, source_file, n_labels: int, dropped: Counter) -> list[tuple[str, int]]:
    """One sentence a line; the label comes from the file's registry entry."""
    label = source_file.label
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < n_labels:
        raise SnntextError(
            f"src/snntext/data/sources.yaml: file {source_file.name} needs 'label' in 0..{n_labels - 1}, got {label!r}"
        )
    rows = []
    for _, text in _read_lines(path, source_file.encoding):
        if not text:
            dropped["empty_text"] += 1
            continue
        rows.append((text, label))
    return rows


def _read_label_first(path: Path, source_file, n_labels: int, dropped: Counter) -> list[tuple[str, int]]:
    """"<label> <sentence>" a line."""
    rows = []
    for number, line in _read_lines(path, source_file.encoding):
        where = f"{path} line {number}"
        if not line:
            dropped["empty_text"] += 1
            continue
        parts = line.split(maxsplit=1)
        if len(parts) < 2:
            raise SnntextError(f"{where}: expected '<label> <sentence>', got {line[:60]!r}; fix or remove the line")
        rows.append((parts[1], _label_index(parts[0], n_labels, where)))
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


def _csv_records(path: Path, content: str):
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
            record = next(csv.reader([line]))
        except csv.Error as err:
            raise SnntextError(f"{path} line {number}: {err}") from None
        if any("\n" in value or "\r" in value for value in record):
            raise _unclosed_quote_error(path, lines, index)
        yield number, record


def _read_label_review_csv(path: Path, source_file, n_labels: int, dropped: Counter) -> list[tuple[str, int]]:
    """CSV with header label,review (quoted fields may hold commas and doubled quotes, not line breaks)."""
    try:
        content = path.read_text(encoding=source_file.encoding)
    except UnicodeDecodeError as err:
        raise SnntextError(f"{path}: not valid {source_file.encoding} at byte {err.start}") from None
    records = _csv_records(path, content.lstrip("\ufeff"))
    try:
        _, header = next(records)
    except StopIteration:
        raise SnntextError(f"{path}: empty file; expected a header line 'label,review'") from None
    header = [column.strip() for column in header]
    if header != ["label", "review"]:
        raise SnntextError(f"{path} line 1: header is {','.join(header)!r}, expected 'label,review'")
    rows = []
    for number, record in records:
        where = f"{path} line {number}"
        if not record:
            continue  # a blank line carries no row
        if len(record) != 2:
            raise SnntextError(f"{where}: expected 2 fields (label,review), got {len(record)}; quote the review")
        label = _label_index(record[0].strip(), n_labels, where)
        text = record[1].strip()
        if not text:
            dropped["empty_text"] += 1
            continue
        rows.append((text, label))
    return rows


_READERS = {
    "polarity_files": _read_polarity_file,
    "label_first": _read_label_first,
    "label_review_csv": _read_label_review_csv,
}


def _frame(rows: list[tuple[str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["text", "label"])
    return frame.astype({"text": str, "label": "int64"})


def _group_of(source_file) -> str:
    split = getattr(source_file, "split", None)
    if split is None:
        return "all"
    if split not in SPLITS:
        raise SnntextError(
            f"src/snntext/data/sources.yaml: file {source_file.name} has split {split!r}; "
            f"allowed: {', '.join(SPLITS)}"
        )
    return split


def parse_dataset(spec, raw_dir: str | Path, conflicting_duplicates: str = "keep") -> ParsedDataset:
    """Read every raw file of a registry entry (a sources.DatasetSpec) from raw_dir/<group>/<name>.

    Returns standard splits when each file names one (SST), else one "all" split. Texts
    present with opposite labels are kept or dropped (all their rows) per
    `conflicting_duplicates`; exact duplicates are only counted.
    """
    if spec.format not in _READERS:
        raise SnntextError(
            f"src/snntext/data/sources.yaml: dataset {spec.name} has format {spec.format!r}; "
            f"allowed: {', '.join(_READERS)}"
        )
    if conflicting_duplicates not in CONFLICT_POLICIES:
        raise SnntextError(
            f"params.yaml: key 'prepare.conflicting_duplicates' is {conflicting_duplicates!r}; "
            f"allowed: {', '.join(CONFLICT_POLICIES)}"
        )
    reader = _READERS[spec.format]
    n_labels = len(spec.labels)
    dropped: Counter = Counter()
    grouped: dict[str, list[tuple[str, int]]] = {}
    for source_file in spec.files:
        rows = reader(_raw_path(Path(raw_dir), source_file), source_file, n_labels, dropped)
        grouped.setdefault(_group_of(source_file), []).extend(rows)
    if "all" in grouped and len(grouped) > 1:
        raise SnntextError(
            f"src/snntext/data/sources.yaml: dataset {spec.name} mixes files with and without 'split'; "
            "give every file a split or none"
        )
    if "all" not in grouped and set(grouped) != set(SPLITS):
        raise SnntextError(
            f"src/snntext/data/sources.yaml: dataset {spec.name} has files for splits {sorted(grouped)}; "
            f"needs all of {', '.join(SPLITS)}"
        )
    splits = {name: _frame(rows) for name, rows in grouped.items()}

    everything = pd.concat(splits.values(), ignore_index=True)
    copies = everything["text"].value_counts()
    labels_per_text = everything.groupby("text")["label"].nunique()
    conflicting = set(labels_per_text.index[labels_per_text > 1])
    conflict_rows = int(everything["text"].isin(conflicting).sum())
    if conflicting_duplicates == "drop" and conflicting:
        splits = {name: frame[~frame["text"].isin(conflicting)].reset_index(drop=True) for name, frame in splits.items()}
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
    write_text_atomic(path, frame[["text", "label"]].to_csv(sep="\t", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"))


def read_split(path: str | Path) -> pd.DataFrame:
    """Read a prepared TSV back exactly as written (no "NA"/"null" turned into NaN)."""
    path = Path(path)
    if not path.is_file():
        raise SnntextError(f"{path}: prepared split missing; run the prepare stage first (dvc repro prepare)")
    frame = pd.read_csv(
        path, sep="\t", dtype={"text": str, "label": "int64"}, keep_default_na=False, na_filter=False,
        quoting=csv.QUOTE_MINIMAL, encoding="utf-8",
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


def prepare_dataset(
    spec,
    raw_dir: str | Path,
    out_dir: str | Path,
    stats_path: str | Path,
    seed: int,
    test_fraction: float,
    dev_fraction: float,
    conflicting_duplicates: str = "keep",
) -> dict:
    """Parse, split (standard splits kept, else stratified from `seed`), write
    out_dir/{train,dev,test}.tsv and the stats JSON; returns the stats."""
    parsed = parse_dataset(spec, raw_dir, conflicting_duplicates)
    splits = split_dataset(parsed.splits, test_fraction, dev_fraction, seed)
    for name in SPLITS:
        write_split(splits[name], Path(out_dir) / SPLIT_FILES[name])
    standard = "all" not in parsed.splits
    stats = {
        "dataset": spec.name,
        "language": spec.language,
        "split_source": "standard" if standard else "stratified",
        "seed": None if standard else seed,
        "test_fraction": None if standard else test_fraction,
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
