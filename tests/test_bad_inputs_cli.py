"""Issue 31, "nothing lost, ever": bad values and failed runs of the `snntext` command, the stage runner and
the attack shards. One row per case: what is run, the exit status, the one line on stderr (no traceback),
and which files may change; every other file that existed before is byte- and mtime-identical after.

The world each row runs in (tmp): proj/ (a tiny built project, tests/cli/test_predict.make_project),
a_folder/ and a_file (targets that cannot be files), ro/ (a folder without write permission) and shards/
(kept attack shards, one of them of the wrong shape). Rows on ro/ need a user that permissions apply to:
as root they run in a fresh process as `nobody` (setpriv), or are skipped where that is not possible.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from snntext.core.cpu_kernels import SWITCH
from snntext.core.stage_script import INTERRUPTED
from tests.cli.test_predict import make_project

SRC = Path(__file__).resolve().parents[1] / "src"
OLD = 1_000_000_000  # mtime of everything in the world before a row runs: a same-bytes rewrite still shows
KEY = "c" * 64
SHARD = f"shards/{KEY[:16]}-000000.json"  # shard 0-1, written with the row's text before the run


def argv_in(w: Path, argv: tuple[str, ...]) -> list[str]:
    return [a.format(w=w) for a in argv] + ["--project", str(w / "proj")]


def cli(w: Path, argv: tuple[str, ...]) -> int:
    """The `snntext` command in this process (main() goes through run_stage, as a user's command does)."""
    from snntext.cli.main import main

    try:
        main(argv_in(w, argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def interrupted_stage(w: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A stage (train_dnn, attack, ...) stopped by Ctrl-C in its main."""
    from snntext.core.stage_script import run_stage

    def main() -> None:
        raise KeyboardInterrupt

    try:
        run_stage(main, uses_torch=False)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def interrupted_predict(w: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """`snntext predict` stopped by Ctrl-C while it classifies."""
    import snntext.cli.predict

    def classify(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(snntext.cli.predict, "classify", classify)
    return cli(w, ("predict", "mr", "good film", "--raster", "{w}/r.png"))


def shards(w: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The attack's shards with a kept file of the wrong shape: redone, not a crash."""
    from snntext.attack.shards import ShardStore, plan_shards, run_shards

    class Job:
        def run(self, positions):
            return [{"position": p, "value": p} for p in positions]

    run = run_shards(Job(), plan_shards(4, 2), ShardStore(w / "shards", KEY), log=lambda *_: None)
    assert [r["value"] for r in run.records] == [0, 1, "kept", "kept"] and (run.reused, run.attacked) == (1, 1)
    return 0


@dataclass
class Row:
    id: str
    run: tuple[str, ...] | Callable[[Path, pytest.MonkeyPatch], int]  # `snntext` arguments, or a call
    code: int
    line: str  # the one stderr line, {w} = the world folder
    shard: str | None = None  # shards/: text of shard 0-1 before the run (it is redone: may change)
    read_only: bool = False  # needs permissions that apply (not root)


ROWS = [
    Row(
        "predict raster to a folder",
        ("predict", "mr", "good film", "--raster", "{w}/a_folder"),
        2,
        "error: --raster {w}/a_folder: is a folder; give a file name",
    ),
    Row(
        "predict raster under a file",
        ("predict", "mr", "good film", "--raster", "{w}/a_file/r.png"),
        2,
        "error: --raster {w}/a_file/r.png: {w}/a_file is a file, not a folder",
    ),
    Row(
        "predict raster in a read-only folder",
        ("predict", "mr", "good film", "--raster", "{w}/ro/r.png"),
        2,
        "error: --raster {w}/ro/r.png: {w}/ro is not writable",
        read_only=True,
    ),
    Row(
        "export nir to a folder",
        ("export", "--nir", "mr", "-o", "{w}/a_folder"),
        2,
        "error: -o {w}/a_folder: is a folder; give a file name",
    ),
    Row(
        "export nir under a file",
        ("export", "--nir", "mr", "-o", "{w}/a_file/sub/mr.nir"),
        2,
        "error: -o {w}/a_file/sub/mr.nir: {w}/a_file is a file, not a folder",
    ),
    Row(
        "export nir in a read-only folder",
        ("export", "--nir", "mr", "-o", "{w}/ro/new/mr.nir"),
        2,
        "error: -o {w}/ro/new/mr.nir: {w}/ro is not writable",
        read_only=True,
    ),
    Row(
        "predict seed out of range",
        ("predict", "mr", "good film", "--seed", "99999999999999999999"),
        2,
        "error: --seed must be at most 18446744073709551615 (2**64 - 1), got 99999999999999999999",
    ),
    Row(
        "predict T out of range",
        ("predict", "mr", "good film", "-T", "100000000"),
        2,
        "error: --timesteps must be at most 1000, got 100000000",
    ),
    Row(
        "kept shard: a JSON array",
        shards,
        0,
        f"warning: {{w}}/{SHARD}: holds a JSON array, not a shard object; attacking shard 0-1 again",
        shard="[]",
    ),
    Row(
        "kept shard: records not a list",
        shards,
        0,
        f"warning: {{w}}/{SHARD}: has no valid `key` (text) and `positions` (list of integers); "
        "attacking shard 0-1 again",
        shard=json.dumps({"records": "garbage"}),
    ),
    Row(
        "kept shard: records of the wrong type",
        shards,
        0,
        f"warning: {{w}}/{SHARD}: `records` is not a list of objects; attacking shard 0-1 again",
        shard=json.dumps({"key": KEY, "positions": [0, 1], "records": ["a", "b"]}),
    ),
    Row(
        "kept shard: records of the wrong count",
        shards,
        0,
        f"warning: {{w}}/{SHARD}: holds 1 records for 2 positions; attacking shard 0-1 again",
        shard=json.dumps({"key": KEY, "positions": [0, 1], "records": [{"position": 0}]}),
    ),
    Row("Ctrl-C in a stage", interrupted_stage, 130, INTERRUPTED),
    Row("Ctrl-C in snntext predict", interrupted_predict, 130, INTERRUPTED),
]


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def as_nobody() -> list[str] | None:
    """A command prefix running as `nobody`, where this process is root and may switch; else None."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import torch, snntext"], capture_output=True, env=_env())
    return prefix if probe.returncode == 0 else None


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "HOME": tempfile.gettempdir()}


@pytest.fixture
def world(monkeypatch):
    """A world others may read (rows may run as `nobody`), every mtime set to OLD."""
    monkeypatch.setenv(SWITCH, "0")  # in-process runs: too late to pin portable kernels (tests/cli/test_main.py)
    w = Path(tempfile.mkdtemp(prefix="snntext-bad-inputs-"))
    w.chmod(0o755)
    make_project(w / "proj")
    (w / "a_folder").mkdir()
    (w / "a_folder" / "keep.txt").write_text("kept\n")
    (w / "a_file").write_text("a file\n")
    (w / "ro").mkdir()
    (w / "ro" / "keep.txt").write_text("kept\n")
    (w / "shards").mkdir()
    kept = [{"position": 2, "value": "kept"}, {"position": 3, "value": "kept"}]
    (w / f"shards/{KEY[:16]}-000002.json").write_text(json.dumps({"key": KEY, "positions": [2, 3], "records": kept}))
    for path in w.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield w
    (w / "ro").chmod(0o755)
    shutil.rmtree(w)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input(row: Row, world: Path, capsys, monkeypatch):
    if row.shard is not None:
        (world / SHARD).write_text(row.shard)
    (world / "ro").chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    for path in [world, *world.rglob("*")]:
        os.utime(path, (OLD, OLD))
    before = snapshot(world)
    if row.read_only and os.geteuid() == 0:  # root writes anywhere: run it as nobody in a fresh process
        prefix = as_nobody()
        if prefix is None:
            pytest.skip("running as root, and cannot switch to nobody (setpriv)")
        assert isinstance(row.run, tuple)
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "snntext.cli.main", *argv_in(world, row.run)],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        code = cli(world, row.run) if isinstance(row.run, tuple) else row.run(world, monkeypatch)
        out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert (code, err) == (row.code, row.line.format(w=world) + "\n")
    after = snapshot(world)
    if row.shard is not None:  # the bad shard is redone; nothing else may change
        assert json.loads(after.pop(SHARD)[0])["records"] == [{"position": 0, "value": 0}, {"position": 1, "value": 1}]
        before.pop(SHARD)
        before.pop("shards")  # the folder's mtime: the redone file was renamed into it
        after.pop("shards")
    assert after == before
