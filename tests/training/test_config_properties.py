"""Property-based checks of the one validation point (``train.config.validate``): any config, from
any mix of valid and invalid field values, is either accepted and trains one step, or rejected
with a ``ConfigError`` whose message is one line naming the field — never another exception."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulesfacts.errors import ConfigError
from rulesfacts.training.config import TrainConfig, n_examples, n_train
from rulesfacts.training.trainer import train

# Values that must be rejected, whatever the field: wrong types and non-finite numbers.
JUNK = st.sampled_from([None, "7", [1], {"a": 1}, float("nan"), float("inf"), -float("inf"), True, 1.5, -3])
BIG = 2**70


def ints(lo: int, hi: int) -> st.SearchStrategy:
    """Small valid integers, or a value at/over a boundary, or junk."""
    return st.one_of(st.integers(lo, hi), st.integers(-5, lo - 1) if lo > -5 else st.nothing(),
                     st.just(BIG), JUNK)


def floats(lo: float, hi: float) -> st.SearchStrategy:
    return st.one_of(st.floats(lo, hi), st.floats(-2.0, 2.0), st.sampled_from([lo, hi]), JUNK)


FIELDS = {
    "task": st.sampled_from(["modular", "parity", "Modular", "", 3]),
    "p": ints(2, 13),
    "op": st.sampled_from(["add", "sub", "mul", "div", "pow", None]),
    "train_frac": floats(0.0, 1.0),
    "corrupt": floats(0.0, 1.0),
    "corrupt_mode": st.sampled_from(["wrong", "uniform", "random"]),
    "data_seed": st.one_of(st.none(), ints(0, 100)),
    "n_bits": ints(1, 10),
    "k": ints(1, 4),
    "n_train": ints(1, 40),
    "n_test": ints(1, 40),
    "model": st.sampled_from(["mlp", "transformer", "cnn"]),
    "width": ints(1, 16),
    "act": st.sampled_from(["quadratic", "relu", "gelu", "tanh"]),
    "init_scale": st.one_of(st.none(), floats(0.0, 1.0)),
    "bias": st.one_of(st.booleans(), st.sampled_from([0, "yes"])),
    "dropout": floats(0.0, 1.0),
    "dropout_position": st.sampled_from(["pre", "post", "mid"]),
    "batchnorm": st.one_of(st.booleans(), st.just(1)),
    "d_model": ints(1, 16),
    "n_heads": ints(1, 4),
    "loss": st.sampled_from(["mse", "ce", "l1"]),
    "lr": floats(0.0, 0.1),
    "betas": st.one_of(st.tuples(st.floats(0, 0.999), st.floats(0, 0.999)),
                       st.sampled_from([(0.9,), (1.0, 0.5), (0.9, -0.1), "0.9,0.98", (0.9, float("nan"))])),
    "eps": floats(0.0, 1e-6),
    "wd": floats(0.0, 2.0),
    "l2": floats(0.0, 1e-3),
    "l1": floats(0.0, 1e-3),
    "batch_size": ints(0, 16),
    "lr_batch_scaling": st.one_of(st.booleans(), st.just("no")),
    "epochs": st.one_of(st.just(1), st.sampled_from([0, -1, 1.0, None])),
    "log_every": ints(1, 3),
    "n_snapshots": ints(0, 3),
    "seed": ints(0, 1000),
    "device": st.sampled_from(["cpu", "auto", "gpu"]),
    "dtype": st.sampled_from(["float32", "bfloat16", "float16"]),
    "extra": st.one_of(st.just({}), st.just({"note": "x"}), st.just([]), st.just({"f": object()})),
}


def configs() -> st.SearchStrategy:
    """A random subset of fields, each with a valid or an invalid value (others keep defaults,
    capped small so that an accepted config trains in milliseconds)."""
    small = {"p": 11, "width": 8, "epochs": 1, "n_bits": 8, "k": 3, "n_train": 32, "n_test": 32,
             "d_model": 8, "n_heads": 2, "device": "cpu"}
    return st.dictionaries(st.sampled_from(sorted(FIELDS)), st.none(), max_size=6).flatmap(
        lambda keys: st.fixed_dictionaries({k: FIELDS[k] for k in keys}).map(lambda d: {**small, **d}))


def check_one_line_error(err: ConfigError, fields: dict) -> None:
    msg = str(err)
    assert "\n" not in msg and len(msg) < 400
    assert err.field in msg and "is not allowed:" in msg
    assert err.field in TrainConfig.__dataclass_fields__


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_any_config_is_accepted_and_trains_or_rejected_in_one_line(fields):
    try:
        cfg = TrainConfig(**fields)
    except ConfigError as err:
        check_one_line_error(err, fields)
        return
    # accepted: the promised invariants hold, and one training step runs and reports numbers
    assert cfg.lr > 0 and 0 <= cfg.corrupt < 1 and cfg.width >= 1
    if cfg.task == "modular":
        assert 1 <= n_train(cfg) < n_examples(cfg)
        if cfg.op == "div":
            assert cfg.p >= 3 and all(cfg.p % d for d in range(2, cfg.p))
    result = train(cfg, progress=False)
    assert result.summary["status"] in ("completed", "diverged")
    for key in ("train_acc", "test_acc"):
        value = result.summary[key]
        assert value is None or (math.isfinite(value) and 0 <= value <= 1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"lr": -1.0}, "lr=-1.0 is not allowed: a number > 0"),
    ({"lr": 0}, "lr=0 is not allowed: a number > 0"),
    ({"corrupt": 1.0}, "corrupt=1.0 is not allowed: a number ≥ 0 and < 1"),
    ({"train_frac": 1.0}, "train_frac=1.0 is not allowed: a number > 0 and < 1"),
    ({"p": 4, "op": "div"}, "p=4 is not allowed: a prime ≥ 3 for op=div"),
    ({"p": 2, "op": "div"}, "p=2 is not allowed: a prime ≥ 3 for op=div"),
    ({"width": 0}, "width=0 is not allowed: an integer from 1 to"),
    ({"p": 7.0}, "p=7.0 is not allowed: an integer"),
    ({"epochs": True}, "epochs=True is not allowed: an integer"),
    ({"op": "pow"}, "op='pow' is not allowed: one of add, sub, mul, div"),
    # 2·2 = 4 pairs: α = 0.2 gives 0 train examples, α = 0.9 gives 3 train and 1 test (fine)
    ({"p": 2, "train_frac": 0.2}, "train_frac=0.2 is not allowed: a fraction leaving ≥ 1 train and ≥ 1 test"),
    ({"p": 11, "batch_size": 61}, "batch_size=61 is not allowed: 0 (full batch) or ≤ the 60 training examples"),
    ({"betas": (0.9, 1.0)}, "betas=(0.9, 1.0) is not allowed: two numbers, each ≥ 0 and < 1"),
])
def test_known_messages(changes, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**changes)
    assert str(info.value).startswith(message)


def test_boundaries_that_are_allowed():
    """The edges of each range that are inside it are accepted (α leaving exactly one test pair)."""
    assert n_train(TrainConfig(p=2, train_frac=0.9)) == 3
    TrainConfig(p=3, op="div", corrupt=0.0, wd=0.0, l1=0.0, l2=0.0, dropout=0.0, n_snapshots=0, batch_size=0)


def test_numpy_scalars_become_plain_numbers():
    """A config built from a pandas row (numpy scalars) equals the one typed by hand."""
    cfg = TrainConfig(p=np.int64(13), lr=np.float64(0.1), bias=np.bool_(True))
    assert cfg == TrainConfig(p=13, lr=0.1, bias=True)
    assert type(cfg.p) is int and type(cfg.bias) is bool


def test_long_values_are_shortened_to_one_line():
    with pytest.raises(ConfigError) as info:
        TrainConfig(op="\n".join(["x" * 50] * 10))
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


BAD_FLAGS = [
    (["--lr", "-1"], "lr=-1.0 is not allowed: a number > 0"),
    (["--p", "4", "--op", "div"], "p=4 is not allowed: a prime ≥ 3 for op=div"),
    (["--p", "abc"], "'abc' is not a valid integer"),
    (["--corrupt", "1"], "corrupt=1.0 is not allowed: a number ≥ 0 and < 1"),
    (["--train-frac", "0.0001", "--p", "5"], "train_frac=0.0001 is not allowed: a fraction leaving ≥ 1 train"),
    (["--width", "0"], "width=0 is not allowed: an integer from 1 to 100000"),
    (["--device", "gpu"], "device='gpu' is not allowed: one of auto, cpu, cuda"),
    (["--bogus", "1"], "No such option: --bogus"),
    (["--resume"], "out=None is not allowed: the run folder to continue"),
]


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS)
def test_cli_bad_flags_in_process(tmp_path, monkeypatch, capsys, flags, message):
    """Through ``main()``: exit 2, one stderr line naming the problem, nothing on stdout or disk."""
    from rulesfacts.cli.main import main

    monkeypatch.chdir(tmp_path)
    out = ["-o", "run"] if "--resume" not in flags else []
    with pytest.raises(SystemExit) as info:
        main(["train", *out, *flags, "--json"])
    captured = capsys.readouterr()
    assert info.value.code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], captured.err
    assert captured.out == "" and list(Path(tmp_path).iterdir()) == []


@pytest.mark.parametrize(("flags", "message"), [BAD_FLAGS[0], BAD_FLAGS[2]])
def test_cli_bad_flags_real_process(tmp_path, flags, message):
    """The installed command in its own process: exit 2, one stderr line, no traceback."""
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "rulesfacts.cli.main", "train", "-o", str(out), *flags],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert list(Path(tmp_path).iterdir()) == []
