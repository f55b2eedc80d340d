"""Every command's --help shows real defaults: never ``[default: None]``."""

import pytest

from rulesfacts.cli.main import build_command
from tests.cli_helpers import run_cli

COMMANDS = sorted(build_command().commands)


def test_the_walk_sees_every_command():
    assert {"train", "demo", "analyze", "sweep", "phase", "report", "memorize", "curves", "theory",
            "simulate", "compare", "runs"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_shows_no_none_default(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one option per line: a wrapped "[default:" cannot hide
    code, out, err = run_cli([name, "--help"], capsys)
    assert code == 0 and "Usage" in out
    assert "default: None" not in out and "[default: None, None]" not in out


def test_train_help_shows_the_paper_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run_cli(["train", "--help"], capsys)
    lines = {line.split()[1]: line for line in out.splitlines() if line.strip("│ ").startswith("--")}
    assert "[default: 97]" in lines["--p"] and "[default: 500]" in lines["--width"]
    assert "[default: 1000]" in lines["--epochs"]
