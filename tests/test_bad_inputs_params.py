"""Issue 31, "nothing lost, ever", at the params front door: each bad value of params.yaml, each broken
datasets.yaml and each dataset file that cannot be trained on ends with ONE line on stderr naming the file
and the key (or line), exit status 2, no traceback, and every file already produced left as it was.

One row per case of the issue (3: values that crashed a stage later; 4: empty, tiny or one-class
datasets; 7: an unreadable datasets.yaml; 11: data errors naming the user's own file and line, and
`download.py --params`). Each row runs one stage script as DVC runs it, in a scratch project (SNNTEXT_ROOT)
whose outputs of an earlier run (prepared splits, metrics, the check_params stamp) must come through
byte for byte and untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.params_helper import write_params

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "src" / "snntext" / "core" / "sources.yaml"
POS, NEG = ("good", "great", "fine", "superb", "lovely"), ("bad", "awful", "dull", "poor", "boring")
ROWS = [(f"{a} {b} {c}", "pos" if a in POS else "neg") for a in POS + NEG for b in POS + NEG for c in ("film", "plot")]


def table(rows: list[tuple[str, str]]) -> bytes:
    return ("text,label\n" + "".join(f"{text},{label}\n" for text, label in rows)).encode()


def reviews(rows: list[tuple[str, str]]) -> bytes:
    return ("label,review\n" + "".join(f"{int(label == 'pos')},{text}\n" for text, label in rows)).encode()


def entry(fmt: str = "table") -> dict:
    """The user's dataset `tiny`: a local file of datasets.yaml, data/external/tiny.csv."""
    data = {"language": "en", "format": fmt, "labels": ["neg", "pos"], "max_len": 10}
    data["files"] = [{"path": "data/external/tiny.csv"}]
    return {**data, "text_column": "text", "label_column": "label"} if fmt == "table" else data


GOOD_DATASETS = yaml.safe_dump({"datasets": {"tiny": entry()}}).encode()
# what an earlier, successful run left: none of it may be removed or rewritten by a refused run
PRODUCED = {
    "data/params_checked.txt": b"params.yaml passed every check of snntext.core.params\n",
    "data/prepared/tiny/train.tsv": b"text\tlabel\ngood film\t1\n",
    "data/prepared/tiny/dev.tsv": b"text\tlabel\nbad film\t0\n",
    "data/prepared/tiny/test.tsv": b"text\tlabel\nfine film\t1\n",
    "metrics/prepare/tiny.json": b'{"dataset": "tiny"}\n',
}


@dataclass(frozen=True)
class Case:
    name: str
    stage: str
    args: tuple[str, ...]
    message: str  # the one stderr line; {root} = the scratch project, {sources} = the packaged registry
    params: dict = field(default_factory=dict)  # changes to the project's params.yaml
    datasets_yaml: bytes | None = GOOD_DATASETS  # None: a folder in its place
    data: bytes = table(ROWS)  # data/external/tiny.csv (and its copy in data/raw, as download left it)
    other_params: dict = field(default_factory=dict)  # other params files: name -> changes to params.yaml


RUN_TINY = {"datasets": ["mr", "tiny"]}
NOT_DEFINED = (
    " ({root}/params.yaml key 'datasets' names 'tiny', which {sources} does not define, "
    "so it must come from {root}/datasets.yaml)"
)
SPLITS = "error: {root}/datasets.yaml: datasets.tiny: its splits (prepare.test_fraction 0.1, prepare.dev_fraction 0.1)"
TOO_FEW = "); prepare needs at least 10 rows in each of train, dev and test: add rows"
ENCODING = "check the file's 'encoding' in its registry entry (sources.yaml or datasets.yaml)"
CASES = [
    # --- 3. values check_params passed, that crashed a stage later ---
    Case(
        "3-dev_fraction-0",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'prepare.dev_fraction' must be > 0 and < 1, got 0",
        params={"prepare.dev_fraction": 0},
    ),
    Case(
        "3-fractions-leave-no-train",
        "check_params",
        (),
        "error: {root}/params.yaml: keys 'prepare.test_fraction' (0.99) and 'prepare.dev_fraction' (0.99) leave "
        "0.0001 of a dataset to train on; (1 - test_fraction) * (1 - dev_fraction) must be >= 0.05",
        params={"prepare.test_fraction": 0.99, "prepare.dev_fraction": 0.99},
    ),
    Case(
        "3-train_dnn-kernel-longer-than-max_len",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'train_dnn.kernel_sizes' has a kernel of 100 tokens, longer than the "
        "max_len 10 of dataset 'tiny' ({root}/datasets.yaml); each kernel size must be <= 10, the shortest "
        "max_len of the datasets in 'datasets'",
        params={**RUN_TINY, "train_dnn.kernel_sizes": [100]},
    ),
    Case(
        "3-kim-kernel-longer-than-max_len",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'kim.kernel_sizes' has a kernel of 36 tokens, longer than the max_len 35 "
        "of dataset 'mr' ({sources}); each kernel size must be <= 35, the shortest max_len of the datasets in "
        "'datasets'",
        params={"datasets": ["mr"], "kim.kernel_sizes": [3, 36]},
    ),
    Case(
        "3-timesteps",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'timesteps' must be >= 1 and <= 1000, got 1000000",
        params={"timesteps": 1000000},
    ),
    Case(
        "3-neurons_per_class",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'neurons_per_class' must be >= 1 and <= 1000, got 100000000",
        params={"neurons_per_class": 10**8},
    ),
    Case(
        "3-attack.workers",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'attack.workers' must be >= 0 and <= 1024, got 100000",
        params={"attack.workers": 100000},
    ),
    Case(
        "3-sweep.timesteps",
        "check_params",
        (),
        "error: {root}/params.yaml: key 'sweep.timesteps' item 2 (5000) must be >= 1 and <= 1000, got [1, 50, 5000]",
        params={"sweep.timesteps": [1, 50, 5000]},
    ),
    # --- 4. a dataset that is empty, tiny or of one class: prepare refuses it, writing nothing ---
    Case(
        "4-header-only",
        "prepare",
        ("tiny",),
        SPLITS + " have train 0, dev 0, test 0 rows (0 read from {root}/data/external/tiny.csv" + TOO_FEW,
        params=RUN_TINY,
        data=table([]),
    ),
    Case(
        "4-six-rows",
        "prepare",
        ("tiny",),
        SPLITS + " have train 6, dev 0, test 0 rows (6 read from {root}/data/external/tiny.csv" + TOO_FEW,
        params=RUN_TINY,
        data=table(ROWS[:3] + ROWS[-3:]),
    ),
    Case(
        "4-one-class",
        "prepare",
        ("tiny",),
        "error: {root}/datasets.yaml: datasets.tiny: all 100 rows of {root}/data/external/tiny.csv have label "
        "'pos'; a classifier needs rows of at least two of its labels (neg, pos)",
        params=RUN_TINY,
        data=table([row for row in ROWS if row[1] == "pos"]),
    ),
    # --- 7. datasets.yaml unreadable: one line naming it (and the line), no traceback ---
    Case(
        "7-non-utf8-byte-in-a-comment",
        "check_params",
        (),
        "error: {root}/datasets.yaml line 2: not UTF-8 text (invalid continuation byte at byte 13); "
        "save the file as UTF-8" + NOT_DEFINED,
        params=RUN_TINY,
        datasets_yaml=b"# Mine.\n# caf\xe9\n" + GOOD_DATASETS,
    ),
    Case(
        "7-a-folder-in-its-place",
        "check_params",
        (),
        "error: {root}/datasets.yaml: is a folder, not a YAML file" + NOT_DEFINED,
        params=RUN_TINY,
        datasets_yaml=None,
    ),
    Case(
        "7-a-key-given-twice",
        "check_params",
        (),
        "error: {root}/datasets.yaml line 3: not valid YAML (key 'tiny' is given twice)" + NOT_DEFINED,
        params=RUN_TINY,
        datasets_yaml=b"datasets:\n  tiny: {language: en}\n  tiny: {language: zh}\n",
    ),
    # --- 11. data errors name the user's file and its line; download.py checks the --params it is given ---
    Case(
        "11-error-names-the-users-file",
        "prepare",
        ("tiny",),
        "error: {root}/data/external/tiny.csv line 7: label 'maybe' is neither a declared label name (neg, pos) "
        "nor an index 0..1; fix or remove the line, or declare the label",
        params=RUN_TINY,
        data=table(ROWS[:5] + [("meh film", "maybe")] + ROWS[5:]),
    ),
    Case(
        "11-table-not-utf8-names-the-line",
        "prepare",
        ("tiny",),
        "error: {root}/data/external/tiny.csv line 9: not valid utf-8 (invalid continuation byte); " + ENCODING,
        params=RUN_TINY,
        data=table(ROWS[:7]) + "café film,pos\n".encode("latin-1") + table(ROWS[7:])[len(b"text,label\n") :],
    ),
    Case(
        "11-label_review_csv-not-utf8-names-the-line",
        "prepare",
        ("tiny",),
        "error: {root}/data/external/tiny.csv line 5: not valid utf-8 (invalid continuation byte); " + ENCODING,
        params=RUN_TINY,
        datasets_yaml=yaml.safe_dump({"datasets": {"tiny": entry("label_review_csv")}}).encode(),
        data=reviews(ROWS[:3]) + "1,café\n".encode("latin-1"),
    ),
    Case(
        "11-download-params-not-found",
        "download",
        ("tiny", "--params", "{root}/nowhere.yaml"),
        "error: {root}/nowhere.yaml: params file not found",
    ),
    Case(
        "11-download-params-bad-value",
        "download",
        ("--resources", "--params", "{root}/exp.yaml"),
        "error: {root}/exp.yaml: key 'threshold' must be > 0, got 0",
        other_params={"exp.yaml": {"threshold": 0}},
    ),
]


def build(root: Path, case: Case) -> None:
    root.mkdir(parents=True)
    write_params(root / "params.yaml", case.params)
    users = root / "datasets.yaml"
    if case.datasets_yaml is None:
        users.mkdir(parents=True)
    else:
        users.write_bytes(case.datasets_yaml)
    for place in ("data/external/tiny.csv", "data/raw/tiny/tiny/tiny.csv"):  # the file, and download's copy
        (root / place).parent.mkdir(parents=True, exist_ok=True)
        (root / place).write_bytes(case.data)
    for name, content in PRODUCED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    for name, changes in case.other_params.items():
        write_params(root / name, changes)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def stage(root: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SNNTEXT_ROOT": str(root), "PYTHONPATH": str(ROOT / "src")}
    env.pop("SNNTEXT_MIRROR", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "stages" / f"{name}.py"), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_input_is_one_line_exit_2_and_nothing_lost(tmp_path, case):
    root = tmp_path / "project"
    build(root, case)
    before = snapshot(root)
    done = stage(root, case.stage, *(arg.format(root=root) for arg in case.args))
    print(f"\n{case.name}: exit {done.returncode}: {done.stderr.strip()}")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert done.stderr == case.message.format(root=root, sources=SOURCES) + "\n"
    assert snapshot(root) == before  # nothing removed, rewritten or added


def test_the_scratch_project_is_valid_and_blank_review_lines_are_counted(tmp_path):
    """The control: the same project with good data passes check_params and prepare (so each row above
    fails for its own reason), and label_review_csv counts blank lines as the other formats do (11)."""
    root = tmp_path / "project"
    blank = reviews(ROWS[:100]) + b"\n" + reviews(ROWS[100:])[len(b"label,review\n") :] + b"\n"
    build(root, Case("good", "prepare", (), "", params=RUN_TINY, data=blank))
    (root / "datasets.yaml").write_bytes(yaml.safe_dump({"datasets": {"tiny": entry("label_review_csv")}}).encode())
    for name, args in (("check_params", ()), ("prepare", ("tiny",))):
        done = stage(root, name, *args)
        assert done.returncode == 0, done.stderr
    stats = json.loads((root / "metrics" / "prepare" / "tiny.json").read_text(encoding="utf-8"))
    assert stats["total"] == len(ROWS) and stats["dropped"] == {"empty_text": 2}
    assert {name: split["count"] for name, split in stats["splits"].items()} == {"train": 162, "dev": 18, "test": 20}
