"""docs/papers.md gives a command for every claim it measured: each ``rulesfacts ...`` command names
a real subcommand and only options that subcommand takes, and each ``python benchmarks/...`` or
``python scripts/...`` command names a script that exists and takes the options given. Checked on
the click command tree (nothing runs), so a renamed flag or command fails here, not in a reader's
terminal."""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

import click
import pytest

from rulesfacts.cli.main import build_command

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "papers.md"


@functools.cache
def cli() -> click.Command:
    return build_command()


def commands(text: str) -> list[str]:
    """The command lines of the page: inline code spans and lines of fenced blocks that start with
    ``rulesfacts`` or ``python``."""
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    blocks = [line.strip() for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)
              for line in block.splitlines()]
    return [c.split("  #")[0].strip() for c in spans + blocks if re.match(r"(rulesfacts|python) ", c)]


def resolve(tokens: list[str], root: click.Command) -> tuple[click.Command, list[str]]:
    """The (sub)command the tokens name and the option tokens left."""
    cmd, rest = root, list(tokens)
    while isinstance(cmd, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        assert name in cmd.commands, f"no command {name!r} (have {sorted(cmd.commands)})"
        cmd = cmd.commands[name]
    return cmd, rest


def unknown_options(cmd: click.Command, tokens: list[str]) -> list[str]:
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    return [t.split("=")[0] for t in tokens if t.startswith("--") and t.split("=")[0] not in known]


def test_the_page_has_commands():
    found = commands(PAGE.read_text())
    assert sum(c.startswith("rulesfacts ") for c in found) >= 20
    assert any(c.startswith("python benchmarks/") for c in found)


@pytest.mark.parametrize("line", commands(PAGE.read_text()))
def test_command_parses(line):
    tokens = shlex.split(line)
    if tokens[0] == "rulesfacts":
        cmd, rest = resolve(tokens[1:], cli())
        assert not unknown_options(cmd, rest), f"{line}: unknown options {unknown_options(cmd, rest)}"
    else:
        script = ROOT / tokens[1]
        assert script.is_file(), f"{line}: {tokens[1]} does not exist"
        source = script.read_text()
        missing = [t for t in tokens[2:] if t.startswith("--") and f'"{t.split("=")[0]}"' not in source]
        assert not missing, f"{line}: {script.name} declares no option {missing}"


def test_the_check_catches_a_wrong_command():
    root = cli()
    cmd, rest = resolve(["train", "--wd", "5", "--weight-decay", "5"], root)
    assert unknown_options(cmd, rest) == ["--weight-decay"]
    with pytest.raises(AssertionError):
        resolve(["trian", "--wd", "5"], root)
    assert commands("a `rulesfacts train --wd 5` and `x = 1`\n```\npython benchmarks/x.py run  # note\n```") == \
        ["rulesfacts train --wd 5", "python benchmarks/x.py run"]
