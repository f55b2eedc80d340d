"""One config, one run id; duplicate axis values refused; huge grids refused from the axes' lengths
before anything is expanded; a spec's name stays one folder inside sweeps/."""

import json
import time

import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.sweep import spec as spec_module
from rulesfacts.sweep.spec import expand, parse_spec, run_id, spec_to_toml
from tests.cli_helpers import run_cli
from tests.sweep.conftest import tiny_spec

BASE = {"p": 7, "width": 8, "epochs": 10, "log_every": 5, "n_snapshots": 0, "device": "cpu"}


def test_int_and_float_of_a_float_field_are_one_config_with_one_id():
    ints, floats = tiny_spec(wd=[0, 1]), tiny_spec(wd=[0.0, 1.0])
    assert [run_id(c) for c in expand(ints)] == [run_id(c) for c in expand(floats)]
    assert all(isinstance(v, float) for v in ints.axes[0].values)  # stored as the field stores it


def test_old_field_name_gives_the_same_ids():
    with pytest.warns(DeprecationWarning):
        old = parse_spec({"base": BASE, "axes": {"corrupt": [0.1, 0.2]}})
    new = parse_spec({"base": BASE, "axes": {"fact_frac": [0.1, 0.2]}})
    assert [run_id(c) for c in expand(old)] == [run_id(c) for c in expand(new)]


@pytest.mark.parametrize("axis", [[0, 0, 0.0, 1], [0, 0.0], {"values": [1, 1.0]}, {"linspace": [0, 0, 3]}])
def test_duplicate_axis_values_are_refused(axis):
    with pytest.raises(ConfigError, match=r"axes\.wd=.*distinct values") as e:
        parse_spec({"base": BASE, "axes": {"wd": axis}})
    assert "\n" not in str(e.value)


def test_rerun_with_float_spelling_trains_nothing(tmp_path, capsys):
    """A sweep built with wd=[0, 1], rerun with --axis wd=0.0,1.0: same ids, no retraining, one row
    per run."""
    spec = tmp_path / "s.toml"
    spec.write_text(spec_to_toml(parse_spec({"name": "s", "base": BASE, "axes": {"wd": [0, 1], "seed": [0, 1]},
                                             "execution": {"workers": 1}})))
    out = tmp_path / "sw"
    code, first, _ = run_cli(["sweep", spec, "-o", out, "--json", "-q"], capsys)
    assert code == 0 and json.loads(first)["runs_trained"] == 4
    code, again, _ = run_cli(["sweep", spec, "-o", out, "--axis", "wd=0.0,1.0", "--json", "-q"], capsys)
    s = json.loads(again)
    assert code == 0 and s["runs_trained"] == 0 and s["runs_skipped"] == 4 and s["runs_done"] == 4
    from rulesfacts.sweep.store import load_results

    assert len(load_results(out)) == 4


def test_duplicate_axis_value_on_the_cli_is_one_line(tmp_path, capsys):
    code, out, err = run_cli(["sweep", "small", "--axis", "wd=0,0,0.0,1", "--dry-run", "-o", tmp_path / "o"], capsys)
    assert code == 2 and out == "" and err.startswith("error: axes.wd=") and len(err.splitlines()) == 1


@pytest.mark.parametrize("axes", [
    {"seed": {"range": 10**9}},
    {"seed": {"range": 1000}, "wd": {"linspace": [0, 1, 1000]}, "lr": {"geomspace": [1e-4, 1, 1000]}},
    {"lr": {"random": {"low": 1e-4, "high": 1, "n": 10**9}}},
])
def test_a_billion_point_grid_is_refused_without_expanding(axes, monkeypatch, tmp_path, capsys):
    """The count comes from the axes' lengths: no grid point (no TrainConfig) is ever made, and no
    axis longer than the bound is generated. --dry-run included."""
    def never(*a, **k):
        raise AssertionError("the grid was expanded")

    monkeypatch.setattr(spec_module, "iter_points", never)
    t = time.perf_counter()
    with pytest.raises(ConfigError, match="max_runs=100000"):
        parse_spec({"base": BASE, "axes": axes})
    path = tmp_path / "huge.toml"
    path.write_text("name = 'huge'\n[base]\np = 7\n[axes]\n" + "".join(
        f"{k} = {json.dumps(v).replace(':', '=').replace(chr(34), '')}\n" for k, v in axes.items()))
    code, out, err = run_cli(["sweep", path, "--dry-run", "--json", "-o", tmp_path / "o"], capsys)
    assert time.perf_counter() - t < 5.0  # generous: a refusal, not a benchmark (it takes milliseconds)
    assert code == 2 and out == "" and "max_runs=100000" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_max_runs_can_be_raised_or_lowered(tmp_path, capsys):
    assert parse_spec({"base": BASE, "axes": {"seed": {"range": 3}}, "execution": {"max_runs": 3}}).n_runs == 3
    with pytest.raises(ConfigError, match=r"grid=4 .*max_runs=3"):
        parse_spec({"base": BASE, "axes": {"seed": [0, 1], "wd": [0, 1]}, "execution": {"max_runs": 3}})
    code, out, _ = run_cli(["sweep", "small", "--dry-run", "--json", "--max-runs", "400"], capsys)
    assert code == 0 and json.loads(out)["runs_total"] == 324
    code, out, err = run_cli(["sweep", "small", "--dry-run", "--max-runs", "100"], capsys)
    assert code == 2 and "grid=324" in err and "max_runs=100" in err


@pytest.mark.parametrize("name", ["..", ".", "../up", "a/b", "a\\b", "a\0b", ".hidden", "", 5])
def test_spec_names_that_leave_sweeps_are_refused(name):
    with pytest.raises(ConfigError) as e:
        parse_spec({"name": name, "base": BASE})
    assert e.value.field == "name" and "\n" not in str(e.value)


def test_name_dotdot_writes_nothing_outside_sweeps(tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "spec.toml").write_text("# the user's own file\n")
    (work / "bad.toml").write_text("name = '..'\n[base]\np = 7\nepochs = 2\n")
    monkeypatch.chdir(work)
    code, out, err = run_cli(["sweep", "bad.toml", "-q"], capsys)
    assert code == 2 and err.startswith("error: name='..' is not allowed") and len(err.splitlines()) == 1
    assert sorted(p.name for p in work.iterdir()) == ["bad.toml", "spec.toml"]
    assert (work / "spec.toml").read_text() == "# the user's own file\n"


def test_a_folder_of_other_files_is_not_taken_for_a_sweep(tmp_path, capsys):
    """`sweep -o DIR` where DIR holds a user's files (its own spec.toml among them) and no sweep:
    refused with one line, every file kept; an empty folder, or one with only spec.toml (a sweep
    stopped before its first run), is used."""
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "spec.toml").write_text("# my notes\n")
    (mine / "notes.txt").write_text("keep\n")
    spec = tmp_path / "s.toml"
    spec.write_text(spec_to_toml(parse_spec({"name": "s", "base": BASE, "axes": {"wd": [0, 1]},
                                             "execution": {"workers": 1}})))
    code, out, err = run_cli(["sweep", spec, "-o", mine, "-q"], capsys)
    assert code == 2 and out == "" and "not a sweep (notes.txt, spec.toml)" in err and len(err.splitlines()) == 1
    assert (mine / "spec.toml").read_text() == "# my notes\n" and sorted(p.name for p in mine.iterdir()) == [
        "notes.txt", "spec.toml"]
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    (stopped / "spec.toml").write_text(spec.read_text())
    code, out, _ = run_cli(["sweep", spec, "-o", stopped, "-q", "--json"], capsys)
    assert code == 0 and json.loads(out)["runs_done"] == 2
