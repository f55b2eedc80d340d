"""Flags read off the config declarations (``cli.common.config_options``): one per field with its
real default in --help, only the flags given reach the command, and old names of renamed fields
work as hidden flags, in files and in sweep specs, with one ``note:`` line."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import warnings
from dataclasses import fields
from types import SimpleNamespace

import pytest

from rulesfacts.cli import train as train_cli
from rulesfacts.config import RenamedField, declaration, default_of
from rulesfacts.config.train import TrainConfig
from rulesfacts.training.summary import shown_keys
from tests.cli_helpers import run_cli
from tests.config_helpers import renamed


@pytest.fixture
def trained(monkeypatch):
    """Replace training by recording the config the command built."""
    seen: list[TrainConfig] = []

    def fake_train(cfg, out, resume, progress, **options):
        seen.append(cfg)
        return SimpleNamespace(summary={k: 0 for k in shown_keys()}, run_dir=out)

    monkeypatch.setattr(train_cli, "train_and_plot", fake_train)
    return seen


def _shown(name: str, default) -> str:
    if isinstance(default, bool):
        return name.replace("_", "-") if default else "no-" + name.replace("_", "-")
    if isinstance(default, tuple):
        return ", ".join(str(v) for v in default)
    return str(default)


def test_train_help_lists_every_field_with_its_real_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run_cli(["train", "--help"], capsys)
    assert code == 0
    for f in fields(TrainConfig):
        decl = declaration(f)
        if not decl.cli:
            assert f"--{f.name.replace('_', '-')} " not in out
            continue
        assert f"--{f.name.replace('_', '-')} " in out, f.name
        default = default_of(f)
        shown = decl.constraint.none_means if default is None else _shown(f.name, default)
        assert f"[default: {'(' + shown + ')' if default is None else shown}]" in out, f.name
        for choice in decl.constraint.choices():
            assert choice in out
    assert out.count("[default: None]") <= 1  # --out only: no config field hides its default


def test_only_the_flags_given_reach_the_config(tmp_path, capsys, trained):
    code, out, _ = run_cli(["train", "-o", tmp_path / "r", "--p", "11", "--no-bias", "--bias", "--betas", "0.8",
                            "0.9", "--json"], capsys)
    assert code == 0 and json.loads(out)["run_dir"] == str(tmp_path / "r")
    assert trained[-1] == TrainConfig(p=11, bias=True, betas=(0.8, 0.9))
    # --resume continues the folder's config: a flag given wins, even one equal to the default
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.json").write_text(json.dumps({"config": TrainConfig(p=13, width=8).to_dict()}))
    code, _, _ = run_cli(["train", "-o", tmp_path / "r", "--resume", "--width", "500", "--json"], capsys)
    assert code == 0 and trained[-1] == TrainConfig(p=13, width=500)


def test_theory_commands_use_their_own_alpha_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run_cli(["theory", "--help"], capsys)
    assert code == 0 and "[default: 2.0]" in out and "--mustar" in out
    code, out, _ = run_cli(["theory", "--json"], capsys)
    assert code == 0 and json.loads(out)["alpha"] == 2.0
    code, _, err = run_cli(["theory", "--alpha", "2", "--fact-frac", "true", "--json"], capsys)
    assert code == 2 and "--fact-frac" in err and len(err.strip().splitlines()) == 1


# -- renamed fields ---------------------------------------------------------------------------------
def test_old_flag_is_hidden_and_works_with_one_note(tmp_path, capsys, monkeypatch, trained):
    monkeypatch.setenv("COLUMNS", "400")
    with renamed(TrainConfig, "wd", "weight_decay"):
        code, out, _ = run_cli(["train", "--help"], capsys)
        assert code == 0 and "--weight-decay" not in out and "--wd " in out
        code, out, err = run_cli(["train", "-o", tmp_path / "r", "--weight-decay", "5", "--json"], capsys)
        assert code == 0 and trained[-1].wd == 5.0 and json.loads(out)
        assert err.splitlines() == ["note: '--weight-decay' is deprecated, use '--wd'"]
        code, out, err = run_cli(["train", "-o", tmp_path / "r", "--weight-decay", "5", "--wd", "1", "--json"],
                                 capsys)
        lines = err.strip().splitlines()
        assert code == 2 and out == "" and lines[-1].startswith("error: wd=5.0 is not allowed: given twice")
    assert len(trained) == 1


def test_old_key_in_a_run_folder_or_spec_is_read_with_a_note(tmp_path):
    from rulesfacts.sweep.spec import parse_spec, run_id, with_overrides
    from rulesfacts.training.rundir import read_config

    (tmp_path / "config.json").write_text(json.dumps({"config": {"p": 11, "weight_decay": 2.0}}))
    with renamed(TrainConfig, "wd", "weight_decay"):
        with pytest.warns(RenamedField, match="'weight_decay' is deprecated, use 'wd'"):
            assert read_config(tmp_path) == TrainConfig(p=11, wd=2.0)
        with pytest.warns(RenamedField, match=r"'base\.weight_decay' is deprecated, use 'base\.wd'"):
            spec = parse_spec({"base": {"p": 11, "weight_decay": 2.0}, "axes": {"seed": [0, 1]}})
        assert spec.base == {"p": 11, "wd": 2.0} and spec.raw["base"] == {"p": 11, "wd": 2.0}
        with pytest.warns(RenamedField):
            fixed = with_overrides(spec, sets=["weight_decay=3"])
        assert fixed.base["wd"] == 3
        with pytest.warns(RenamedField, match=r"'axes\.weight_decay' is deprecated"):
            swept = parse_spec({"base": {"p": 11}, "axes": {"weight_decay": [0, 5]}})
        assert swept.axis_names() == ["wd"]
        # a rename keeps the runs' ids: the field enters the hash under its first name
        cfg = TrainConfig(p=11, wd=2.0)
        first = {"wd": "weight_decay", "fact_frac": "corrupt", "fact_mode": "corrupt_mode", "adam_eps": "eps",
                 "train_size": "n_train", "test_size": "n_test"}  # every renamed field, under its first name
        d = {first.get(k, k): v for k, v in cfg.to_dict().items() if k not in ("extra", "compile")}
        assert run_id(cfg) == hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def test_results_table_from_before_a_rename_keeps_its_values(tmp_path):
    from rulesfacts.sweep.store import columns, load_results, make_row, table_path

    cfg = TrainConfig(p=11, wd=7.0)
    old_cols = {("weight_decay" if k == "wd" else k): t for k, t in columns().items()}
    old_row = {("weight_decay" if k == "wd" else k): v for k, v in make_row("old", cfg, {}, "", "r").items()}
    with sqlite3.connect(table_path(tmp_path)) as conn:
        conn.execute(f"CREATE TABLE runs ({', '.join(f'{chr(34)}{k}{chr(34)} {t}' for k, t in old_cols.items())})")
        conn.execute(f"INSERT INTO runs ({', '.join(chr(34) + k + chr(34) for k in old_row)}) "
                     f"VALUES ({', '.join('?' * len(old_row))})", tuple(old_row.values()))
    with renamed(TrainConfig, "wd", "weight_decay"), warnings.catch_warnings():
        warnings.simplefilter("error")
        df = load_results(tmp_path)
    assert df.loc[0, "wd"] == 7.0


def test_eps_is_the_fact_fraction_in_flags_files_and_specs_and_adams_eps_only_in_old_run_folders(tmp_path, capsys,
                                                                                                  trained):
    from rulesfacts.sweep.spec import parse_spec
    from rulesfacts.training.rundir import read_config

    code, _, err = run_cli(["train", "-o", tmp_path / "r", "--task", "raf", "--eps", "0.3", "--json"], capsys)
    assert code == 0 and trained[-1] == TrainConfig(task="raf", fact_frac=0.3)
    assert err.splitlines() == ["note: '--eps' is deprecated, use '--fact-frac'"]
    with pytest.warns(RenamedField, match=r"^'eps' is deprecated, use 'fact_frac'$"):
        assert TrainConfig.from_dict({"eps": 0.3}) == TrainConfig(fact_frac=0.3)
    with pytest.warns(RenamedField, match=r"^'base\.eps' is deprecated, use 'base\.fact_frac'$"):
        assert parse_spec({"base": {"eps": 0.3}, "axes": {"seed": [0, 1]}}).base == {"fact_frac": 0.3}
    # a run folder written when Adam's ε was `eps` (and ξ was `corrupt`): read as it was meant then
    old = {("eps" if k == "adam_eps" else "corrupt" if k == "fact_frac" else k): v
           for k, v in TrainConfig(adam_eps=1e-6, fact_frac=0.2).to_dict().items()}
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "config.json").write_text(json.dumps({"config": old}))
    with pytest.warns(RenamedField) as notes:
        assert read_config(tmp_path / "old") == TrainConfig(adam_eps=1e-6, fact_frac=0.2)
    assert {str(w.message) for w in notes} == {"'eps' is deprecated, use 'adam_eps'",
                                              "'corrupt' is deprecated, use 'fact_frac'"}
    # one written now reads back without a note
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "config.json").write_text(json.dumps({"config": TrainConfig(adam_eps=1e-6).to_dict()}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_config(tmp_path / "new") == TrainConfig(adam_eps=1e-6)
