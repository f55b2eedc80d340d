"""Helpers to run the real ``rulesfacts`` command in a child process and signal it mid-run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_helpers import live_ctrl_c

# The child runs the real CLI; each epoch is slowed by a sleep (numbers unchanged) so that a signal
# lands mid-run on any machine, however fast.
SLOW_CLI = """
import sys, time
from rulesfacts.training.trainer import Trainer
_epoch = Trainer.train_epoch
def _slow(self):
    time.sleep(float(sys.argv[1]))
    _epoch(self)
Trainer.train_epoch = _slow
from rulesfacts.cli.main import main
main(sys.argv[2:])
"""


@pytest.fixture
def slow_cli(tmp_path):
    """Start ``rulesfacts ARGS`` with every epoch slowed by ``delay`` seconds; returns the Popen."""
    script = tmp_path / "slow_cli.py"
    script.write_text(SLOW_CLI)

    def start(args: list[str], delay: float = 0.05) -> subprocess.Popen:
        with live_ctrl_c():
            return subprocess.Popen([sys.executable, str(script), str(delay), *args], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    return start


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until ``path`` exists (the child got past start-up), failing if the child exits first."""
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.01)
