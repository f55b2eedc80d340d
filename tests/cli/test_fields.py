"""``rulesfacts fields`` and docs/config.md: the field tables are generated from the declarations,
and the committed page is kept equal to what the command prints."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from rulesfacts.cli.fields import DOCUMENTED, REGENERATE, config_class, markdown_page
from tests.cli_helpers import run_cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def test_docs_page_is_up_to_date():
    assert PAGE.read_text(encoding="utf-8") == markdown_page(), (
        f"docs/config.md is out of date with the config declarations: run `{REGENERATE}`")


def test_markdown_prints_the_page_and_every_field(capsys):
    code, out, _ = run_cli(["fields", "--markdown"], capsys)
    assert code == 0 and out == markdown_page()
    for name in DOCUMENTED:
        for f in fields(config_class(name)):
            assert f"| `{f.name}` |" in out


def test_json_is_one_object_with_every_config(capsys):
    code, out, err = run_cli(["fields", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and err == "" and set(data["configs"]) == set(DOCUMENTED)
    p = next(r for r in data["configs"]["train"] if r["name"] == "p")
    assert p == {"name": "p", "type": "integer", "default": 97, "allowed": "an integer from 2 to 1000",
                 "help": p["help"], "member": False, "how": False, "cli": True, "deprecated": [], "retired": [],
                 "sql_type": "INTEGER"}


def test_one_table_in_the_terminal(capsys):
    code, out, err = run_cli(["fields", "execution"], capsys)
    assert code == 0 and out == "" and "max_ensemble" in err and "train_frac" not in err
    code, out, _ = run_cli(["fields", "phases", "--markdown"], capsys)
    assert code == 0 and out.startswith("## Phase thresholds") and "| `forget` |" in out


def test_unknown_name_is_one_line(capsys):
    code, out, err = run_cli(["fields", "bogus", "--json"], capsys)
    assert code == 2 and out == "" and err.strip().splitlines() == [
        f"error: name='bogus' is not allowed: one of {', '.join(DOCUMENTED)}"]
    code, out, _ = run_cli(["fields", "--help"], capsys)
    assert code == 0 and "--markdown" in out and "--json" in out
