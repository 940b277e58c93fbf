"""run_stage: a user error is one line and exit 2; Ctrl-C is one line and exit 130, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from snntext.core.errors import SnntextError
from snntext.core.stage_script import EXIT_INTERRUPTED, INTERRUPTED, run_stage

SRC = Path(__file__).resolve().parents[2] / "src"


def run(main) -> int:
    with pytest.raises(SystemExit) as exit_:
        run_stage(main, uses_torch=False)
    return exit_.value.code


def test_a_user_error_is_one_line_and_exit_2(capsys):
    def main():
        raise SnntextError("params.yaml: key `x` must be >= 1, got 0")

    assert run(main) == 2
    assert capsys.readouterr().err == "error: params.yaml: key `x` must be >= 1, got 0\n"


def test_ctrl_c_is_one_line_and_exit_130(capsys):
    def main():
        raise KeyboardInterrupt

    assert run(main) == EXIT_INTERRUPTED == 130
    out, err = capsys.readouterr()
    assert out == "" and err == INTERRUPTED + "\n"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_a_real_sigint_in_a_fresh_process():
    """As Ctrl-C in a terminal: the stage is waiting when SIGINT arrives."""
    code = (
        "import sys, time\n"
        "from snntext.core.stage_script import run_stage\n"
        "def main():\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
        "run_stage(main, uses_torch=False)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout.readline() == "ready\n"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130
    assert err == INTERRUPTED + "\n"
