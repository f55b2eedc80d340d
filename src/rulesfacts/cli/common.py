"""What every subcommand shares: the ``--json`` contract and turning configs into flags."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from rulesfacts.errors import ConfigError
from rulesfacts.io import json_default
from rulesfacts.runtime import stderr_console

JSON_OPTION = typer.Option(False, "--json", help="Print one machine-readable JSON object on stdout.")


def emit(summary: dict[str, Any], as_json: bool, title: str = "") -> None:
    """Print ``summary``: one JSON object on stdout with --json, else a readable table on stderr."""
    if as_json:
        sys.stdout.write(json.dumps(summary, default=json_default, sort_keys=True) + "\n")
        sys.stdout.flush()
        return
    from rich.table import Table

    table = Table(title=title or None, show_header=False)
    for k, v in summary.items():
        table.add_row(str(k), _fmt(v))
    stderr_console().print(table)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return f"[{len(v)} values]"
    return str(v)


def int_list(text: str, field: str, example: str = "1,4,16") -> list[int]:
    """Parse a comma-separated integer flag (``--ensembles 1,4,16``); a bad one is a ``ConfigError``."""
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise ConfigError(field, text, f"comma-separated integers, e.g. {example}") from None
    if not values:
        raise ConfigError(field, text, "at least one integer")
    return values


def say(msg: str) -> None:
    """A human-readable line on stderr (never mixes with --json output)."""
    stderr_console().print(msg)
