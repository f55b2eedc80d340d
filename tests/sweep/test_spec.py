"""Sweep specs: axis forms, validation, CLI overrides, run ids, presets."""

import math
import tomllib

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.sweep.spec import (
    expand,
    grid_points,
    load_spec,
    parse_axis,
    parse_spec,
    preset_names,
    run_id,
    spec_to_toml,
    with_overrides,
)

BASE = {"p": 11, "width": 16, "epochs": 10}


def spec(axes, **extra):
    return parse_spec({"name": "t", "base": dict(BASE), "axes": axes, **extra})


def test_linspace_matches_numpy_and_reads_like_typed_values():
    ax = parse_axis("train_frac", {"linspace": [0.1, 0.9, 9]})
    assert np.allclose(ax.values, np.linspace(0.1, 0.9, 9), rtol=0, atol=1e-12)
    assert 0.3 in ax.values and 0.7 in ax.values  # not 0.30000000000000004


def test_range_geomspace_values_and_scalar():
    assert parse_axis("seed", {"range": 3}).values == (0, 1, 2)
    assert parse_axis("seed", {"range": [2, 8, 3]}).values == (2, 5)
    assert np.allclose(parse_axis("lr", {"geomspace": [1e-3, 1e-1, 3]}).values, [1e-3, 1e-2, 1e-1])
    assert parse_axis("wd", {"values": [0, 5]}).values == (0, 5)
    assert parse_axis("wd", 5).values == (5,)


def test_random_axis_is_seeded_and_in_range():
    arg = {"random": {"low": 1e-4, "high": 1e-1, "log": True, "n": 50, "seed": 3}}
    a, b = parse_axis("lr", arg).values, parse_axis("lr", arg).values
    assert a == b and len(a) == 50
    assert all(1e-4 <= v <= 1e-1 for v in a)
    logs = np.log10(a)  # log-uniform: about half the draws below the geometric midpoint 10^-2.5
    assert 15 < (logs < -2.5).sum() < 35
    other = parse_axis("lr", {"random": {**arg["random"], "seed": 4}}).values
    assert other != a
    ints = parse_axis("width", {"random": {"low": 8, "high": 64, "n": 10, "integer": True}}).values
    assert all(isinstance(v, int) and 8 <= v <= 64 for v in ints)


def test_grid_is_the_cartesian_product_last_axis_fastest():
    s = spec({"train_frac": [0.3, 0.5], "fact_frac": [0.0, 0.2, 0.4], "seed": {"range": 2}})
    cfgs = expand(s)
    assert len(cfgs) == s.n_runs == 12
    assert [(c.train_frac, c.fact_frac, c.seed) for c in cfgs[:3]] == [(0.3, 0.0, 0), (0.3, 0.0, 1), (0.3, 0.2, 0)]
    assert all(c.p == 11 and c.width == 16 for c in cfgs)
    assert len({run_id(c) for c in cfgs}) == 12


def test_run_id_is_stable_and_ignores_only_annotations():
    c = TrainConfig(**BASE)
    assert run_id(c) == run_id(TrainConfig(**BASE))
    assert run_id(c) == run_id(c.replace(extra={"note": "x"}))
    assert run_id(c) != run_id(c.replace(wd=1.0))
    assert run_id(c) != run_id(c.replace(device="cpu"))
    assert len(run_id(c)) == 16


@pytest.mark.parametrize("data, field", [
    ({"base": {"widht": 3}}, "base.widht"),
    ({"axes": {"nope": [1]}}, "axes.nope"),
    ({"axes": {"wd": {"linspace": [0, 1]}}}, "axes.wd.linspace"),
    ({"axes": {"wd": {"logspace": [0, 1, 3]}}}, "axes.wd"),
    ({"axes": {"wd": []}}, "axes.wd"),
    ({"axes": {"lr": {"random": {"low": 1, "high": 0, "n": 3}}}}, "axes.lr.random.low"),
    ({"axes": {"lr": {"random": {"low": 0, "high": 1, "n": 3, "log": True}}}}, "axes.lr.random.low"),
    ({"axes": {"lr": {"random": {"low": 0, "high": 1, "n": 3, "sed": 1}}}}, "axes.lr.random.sed"),
    ({"axes": {"fact_frac": [0.2, 1.5]}}, "fact_frac"),  # a grid point that is not a valid config
    ({"phases": {"high": 2}}, "phases.high"),
    ({"phases": {"hi": 0.5}}, "phases.hi"),
    ({"execution": {"executor": "slurm"}}, "execution.executor"),
    ({"execution": {"workers": -1}}, "execution.workers"),
    ({"diagram": {"x": "colour"}}, "diagram.x"),
    ({"extra_table": {}}, "extra_table"),
])
def test_bad_specs_name_the_field(data, field):
    with pytest.raises(ConfigError) as e:
        parse_spec({"base": dict(BASE), **data} if "base" not in data else data)
    assert e.value.field == field


def test_overrides_set_and_axis():
    s = spec({"wd": [0, 5], "fact_frac": [0.1, 0.2]})
    o = with_overrides(s, sets=["wd=3", "epochs=7"], axes=["seed=0,1,2", "train_frac={linspace=[0.3,0.5,2]}"])
    assert o.axis_names() == ["fact_frac", "seed", "train_frac"]  # a --set on an axis fixes it
    cfgs = expand(o)
    assert len(cfgs) == 2 * 3 * 2 and {c.wd for c in cfgs} == {3} and {c.epochs for c in cfgs} == {7}
    with pytest.raises(ConfigError) as e:
        with_overrides(s, sets=["wd"])
    assert e.value.field == "--set"
    with pytest.raises(ConfigError) as e:
        with_overrides(s, axes=["width=0,8"])
    assert e.value.field == "width"


def test_toml_round_trip(tmp_path):
    s = spec({"train_frac": {"linspace": [0.3, 0.7, 3]}, "lr": {"random": {"low": 1e-3, "high": 1e-2, "n": 2}},
              "op": ["add", "sub"]}, phases={"high": 0.8}, execution={"max_ensemble": 4})
    path = tmp_path / "s.toml"
    path.write_text(spec_to_toml(s))
    back = load_spec(path)
    assert grid_points(back) == grid_points(s)
    assert back.phases.high == 0.8 and back.execution.max_ensemble == 4 and back.name == "t"


def test_load_spec_errors(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_spec("no-such-preset")
    assert e.value.field == "spec"
    bad = tmp_path / "bad.toml"
    bad.write_text("[base\np = 3")
    with pytest.raises(DataFileError):
        load_spec(bad)


def test_presets_ship_the_promised_grids():
    assert {"small", "paper-wd"} <= set(preset_names())
    small = load_spec("small")
    sizes = {a.name: len(a.values) for a in small.axes}
    assert sizes["train_frac"] >= 9 and sizes["fact_frac"] >= 9 and sizes["wd"] == 4
    assert small.base["p"] <= 31
    paper = load_spec("paper-wd")
    assert {a.name: a.values for a in paper.axes}["wd"] == (0, 5, 15, 20)
    assert paper.n_runs == 17 * 17 * 4
    cfg = expand(paper)[0]
    assert (cfg.p, cfg.width, cfg.epochs, cfg.lr, cfg.betas) == (97, 500, 2000, 0.01, (0.9, 0.98))
    text = spec_to_toml(paper)
    assert tomllib.loads(text)["axes"]["wd"] == [0, 5, 15, 20]
    assert math.isclose(paper.axes[1].values[1], 0.15)


def test_an_old_field_name_in_the_diagram_table_reads_as_the_new_one():
    with pytest.warns(DeprecationWarning, match="'corrupt' is deprecated, use 'fact_frac'"):
        spec = parse_spec({"base": {"p": 11}, "axes": {"fact_frac": [0.1, 0.2]}, "diagram": {"y": "corrupt"}})
    assert spec.diagram.y == "fact_frac"
