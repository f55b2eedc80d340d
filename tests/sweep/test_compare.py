"""``rulesfacts runs`` (an index of run folders) and ``rulesfacts compare`` (curves overlaid,
outcomes side by side), for loose run folders and for the runs of a sweep."""

import json

import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.sweep.compare import parse_where, runs_table
from rulesfacts.sweep.phases import classify
from rulesfacts.sweep.runner import run_sweep
from rulesfacts.sweep.store import load_results
from rulesfacts.training.lineage import branch_config, branch_run
from rulesfacts.training.trainer import train
from tests.cli_helpers import run_cli
from tests.sweep.conftest import tiny_spec


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for wd in (0.0, 1.0):
        train(TrainConfig(p=7, width=16, epochs=12, log_every=4, wd=wd, device="cpu"), root / f"wd{wd:g}",
              progress=False)
    branch_run(root / "wd0", None, branch_config(root / "wd0", {"wd": 5.0, "epochs": 16}), root / "nested" / "b",
               progress=False)
    return root


def test_runs_indexes_every_run_with_what_differs_and_what_came_out(folder, capsys):
    code, out, err = run_cli(["runs", folder, "--json"], capsys)
    index = json.loads(out)
    assert code == 0 and index["differ"] == ["wd", "epochs"]
    rows = {r["run"]: r for r in index["runs"]}
    assert set(rows) == {"wd0", "wd1", "nested/b"} and rows["nested/b"]["parent"] == "wd0@12"
    for name, row in rows.items():
        summary = json.loads((folder / name / "summary.json").read_text())
        assert row["test_acc"] == summary["test_acc"] and row["facts_memorized"] == summary["facts_memorized"]
        assert row["phase"] == classify(summary) and row["trained"] == summary["epochs"]
        assert row["wd"] == json.loads((folder / name / "config.json").read_text())["config"]["wd"]


def test_compare_writes_the_overlay_and_the_table(folder, tmp_path, capsys):
    png = tmp_path / "c.png"
    code, out, err = run_cli(["compare", folder / "wd0", folder / "wd1", "--curve", "test_acc", "--curve",
                              "train_loss", "--out", png, "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["differ"] == ["wd"] and [r["wd"] for r in result["runs"]] == [0.0, 1.0]
    code, out, err = run_cli(["compare", folder / "wd0", "--curve", "nope", "--out", png], capsys)
    assert code == 2 and "curve" in err


def test_compare_the_runs_of_a_sweep_that_match(tmp_path, capsys):
    run_sweep(tiny_spec(epochs=10, train_frac=[0.5], wd=[0, 5]), tmp_path / "s", progress=False)
    table = load_results(tmp_path / "s")
    code, out, err = run_cli(["compare", "--sweep", tmp_path / "s", "--where", "wd=5", "--out", tmp_path / "c.png",
                              "--json"], capsys)
    runs = json.loads(out)["runs"]
    assert code == 0 and len(runs) == (table["wd"] == 5).sum() > 0
    assert {r["test_acc"] for r in runs} == set(table.loc[table["wd"] == 5, "test_acc"])
    code, out, err = run_cli(["compare", "--sweep", tmp_path / "s", "--where", "colour=red"], capsys)
    assert code == 2 and "where" in err


def test_a_sweep_spec_may_be_a_dict_and_nothing_else(tmp_path):
    spec = {"name": "d", "base": {"p": 5, "width": 4, "epochs": 2, "device": "cpu"}, "axes": {"wd": [0, 1]},
            "execution": {"workers": 1}}
    assert run_sweep(spec, tmp_path / "d", progress=False)["runs_done"] == 2
    with pytest.raises(ConfigError, match="spec"):
        run_sweep(42, tmp_path / "x", progress=False)


def test_where_needs_key_value():
    assert parse_where(["wd=5", "fact-frac = 0.35"]) == {"wd": "5", "fact_frac": "0.35"}
    with pytest.raises(ConfigError, match="key=value"):
        parse_where(["wd"])
    with pytest.raises(Exception, match="no run folders"):
        runs_table([])


def test_sweep_help_names_every_preset(capsys):
    from rulesfacts.sweep.spec import preset_names

    code, out, _ = run_cli(["sweep", "--help"], capsys)
    assert code == 0 and len(preset_names()) >= 4 and all(n in " ".join(out.split()) for n in preset_names())
