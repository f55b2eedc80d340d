"""``rulesfacts fields``: every config field with its default, allowed values and meaning.

The tables are generated from the declarations (``rulesfacts.config``); ``--markdown`` prints the
page docs/config.md, which a test keeps equal to this output.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit

# name → (module, class, title, where the fields are set); the order of docs/config.md
DOCUMENTED: dict[str, tuple[str, str, str, str]] = {
    "train": ("rulesfacts.config.train", "TrainConfig", "A training run",
              "Flags of `rulesfacts train` (`--field-name VALUE`, `--x/--no-x` for true/false fields), keys of "
              "`[base]` and `[axes]` in a sweep spec, and `TrainConfig(...)` in Python."),
    "phases": ("rulesfacts.sweep.phases", "PhaseThresholds", "Phase thresholds",
               "The `[phases]` table of a sweep spec."),
    "execution": ("rulesfacts.sweep.spec", "ExecutionConfig", "Sweep execution",
                  "The `[execution]` table of a sweep spec."),
    "diagram": ("rulesfacts.sweep.spec", "DiagramConfig", "Phase-diagram axes",
                "The `[diagram]` table of a sweep spec."),
    "theory": ("rulesfacts.theory.config", "RAFPoint", "A Rules-and-Facts learner",
               "Flags of `rulesfacts theory` and `rulesfacts simulate` (there `--alpha` defaults to 2), and keys "
               "of a `[[figure]]` table of `rulesfacts curves`."),
    "theory-report": ("rulesfacts.report.theory_report", "TheorySpec", "A theory report",
                      "The `[theory]` table of a theory report spec (`rulesfacts report`)."),
}
REGENERATE = "rulesfacts fields --markdown > docs/config.md"


def config_class(name: str) -> type:
    module, cls, _, _ = DOCUMENTED[name]
    return getattr(importlib.import_module(module), cls)


def section(name: str) -> str:
    """One config's Markdown section: heading, where it is set, its table, its grouped fields."""
    from rulesfacts.config import fields_markdown, how_fields, member_fields

    cls = config_class(name)
    _, cls_name, title, where = DOCUMENTED[name]
    lines = [f"## {title}: `{name}` (`{cls_name}`)", "", where, "", fields_markdown(cls).rstrip("\n")]
    if member := sorted(member_fields(cls)):
        lines += ["", "Runs that differ only in " + ", ".join(f"`{m}`" for m in member)
                  + " can be trained together as one batched ensemble (a sweep groups them so)."]
    if name == "train":
        lines += ["", task_fields_line()]
    if how := sorted(how_fields(cls)):
        verb = "says" if len(how) == 1 else "say"
        lines += ["", ", ".join(f"`{h}`" for h in how) + f" {verb} how a run is computed, not what: runs that "
                  "differ only there are the same run (same results, same run id in a sweep)."]
    return "\n".join(lines) + "\n"


def task_fields_line() -> str:
    """Which task declares which fields (each in its own module, ``Task.fields``; plug-ins too)."""
    from dataclasses import fields

    from rulesfacts.tasks import REGISTRY

    owned = [f"{t.name}: " + ", ".join(f"`{f.name}`" for f in fields(t.fields))
             for t in REGISTRY.values() if t.fields is not None]
    return ("Each task declares its own fields in its module (`Task.fields`), the other fields are every "
            "task's: " + "; ".join(owned) + ".")


def markdown_page() -> str:
    """The whole of docs/config.md."""
    intro = f"""# Configuration fields

Every setting of a training run, a sweep and the Rules-and-Facts theory, with its default, the
values it accepts and what it means. A value outside what "Allowed" says is refused before
anything runs, in one line that names the field, e.g.
`error: p=1 is not allowed: an integer from 2 to 1000`. Some rules tie fields together (a prime
`p` for `op = "div"`, `batch_size` at most the number of training examples); they are checked
after each field passed its own.

This page is generated from the declarations in the code. After adding or changing a field,
regenerate it with

    {REGENERATE}

(a test fails while the page is out of date). `rulesfacts fields NAME` shows one table in the
terminal and `--json` gives them as data. A renamed field keeps working under its old name in
files and flags, with a one-line note saying the new name. `eps` names the fact fraction ε
(`fact_frac`), in `rulesfacts train` as in `rulesfacts theory`; Adam's ε is `adam_eps` only (a run
folder written when Adam's ε was `eps` still reads it so).
"""
    return "\n".join([intro, *(section(name) for name in DOCUMENTED)])


def register(app: typer.Typer) -> None:
    @app.command("fields")
    def fields_cmd(
        name: str = typer.Argument(None, help=f"One config: {', '.join(DOCUMENTED)} (default: all)."),
        markdown: bool = typer.Option(False, "--markdown", help=f"Print Markdown on stdout (all: `{REGENERATE}`)."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """The fields of every config: default, allowed values, meaning (the tables of docs/config.md)."""
        from rulesfacts.config import describe_fields
        from rulesfacts.errors import ConfigError

        if name is not None and name not in DOCUMENTED:
            raise ConfigError("name", name, f"one of {', '.join(DOCUMENTED)}")
        names = [name] if name else list(DOCUMENTED)
        if markdown:
            sys.stdout.write(section(name) if name else markdown_page())
            return
        tables = {n: describe_fields(config_class(n)) for n in names}
        if as_json:
            emit({"configs": tables}, as_json=True)
            return
        for n, rows in tables.items():
            _print_table(n, rows)


def _print_table(name: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from rulesfacts.config import literal
    from rulesfacts.runtime import stderr_console

    table = Table(title=f"{name} ({DOCUMENTED[name][1]})")
    for column in ("field", "default", "allowed", "meaning"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["name"], literal(r["default"]), r["allowed"], r["help"])
    stderr_console().print(table)
