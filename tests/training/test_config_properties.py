"""Property-based checks of the one validation point (``rulesfacts.config.check`` on ``TrainConfig``):
any config, from any mix of valid and invalid field values, is either accepted and trains one step,
or rejected with a ``ConfigError`` whose message is one line naming the field — never another
exception. The values are drawn from each field's declared constraint (tests.config_helpers.py),
so a new field is covered as soon as it is declared."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rulesfacts.config import declaration, default_of
from rulesfacts.config.train import HOW_FIELDS, TrainConfig
from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.tasks import n_examples, train_count
from rulesfacts.training.trainer import train
from tests.config_helpers import invalid, valid

FIELDS = {f.name: declaration(f).constraint for f in fields(TrainConfig)}
# Where drawn configs start: valid and small, so that an accepted one trains in milliseconds.
SMALL = TrainConfig(p=11, width=8, epochs=1, n_bits=8, k=3, train_size=32, test_size=32, d_model=8, n_heads=2,
                    device="cpu").to_dict()


@st.composite
def configs(draw: st.DrawFn) -> tuple[dict, list[str]]:
    """Up to six fields of SMALL redrawn, each with a valid (small) or, one time in four, an invalid
    value of its constraint; also returns the fields given an invalid value, in field order."""
    names = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=6))
    bad = [n for n in FIELDS if n in names and draw(st.integers(0, 3), label=f"{n} invalid") == 0]
    values = {n: draw(invalid(FIELDS[n]) if n in bad else valid(FIELDS[n], small=True), label=n) for n in FIELDS
              if n in names}
    return {**SMALL, **values}, bad


def check_one_line_error(err: ConfigError) -> None:
    msg = str(err)
    assert "\n" not in msg and len(msg) < 400
    assert err.field in msg and "is not allowed:" in msg
    assert err.field in TrainConfig.__dataclass_fields__


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_any_config_is_accepted_and_trains_or_rejected_in_one_line(drawn):
    values, bad = drawn
    try:
        cfg = TrainConfig(**values)
    except ConfigError as err:
        check_one_line_error(err)
        if bad:  # each field is checked on its own first, in field order
            assert err.field == bad[0]
        else:  # every value is allowed on its own: a rule between fields refused the mix
            event("refused by a rule between fields")
            with mock.patch.object(TrainConfig, "check_together", lambda self: None):
                TrainConfig(**values)
        return
    assert not bad, f"accepted invalid values of {bad}"
    # accepted: the promised invariants hold, and one training step runs and reports numbers
    assert cfg.lr > 0 and 0 <= cfg.fact_frac < 1 and cfg.width >= 1
    if cfg.task == "modular":
        assert 1 <= train_count(cfg) < n_examples(cfg)
        if cfg.op == "div":
            assert cfg.p >= 3 and all(cfg.p % d for d in range(2, cfg.p))
    event("trained")
    # how a run is computed does not change what it computes (tests/training/test_compile.py): the
    # step runs with the defaults there, on this machine's CPU
    cfg = cfg.replace(device="cpu", **{n: default_of(TrainConfig.__dataclass_fields__[n]) for n in HOW_FIELDS})
    try:
        result = train(cfg, progress=False)
    except DataFileError as err:  # the data files of the draw are not on this machine: one line naming them
        assert cfg.task in ("arrays", "images") and "\n" not in str(err)
        event("data files absent")
        return
    assert result.summary["status"] in ("completed", "diverged")
    for key in ("train_acc", "test_acc"):
        value = result.summary[key]
        assert value is None or (math.isfinite(value) and 0 <= value <= 1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"lr": -1.0}, "lr=-1.0 is not allowed: a number > 0"),
    ({"lr": 0}, "lr=0.0 is not allowed: a number > 0"),  # a float field stores an integer as a float
    ({"fact_frac": 1.0}, "fact_frac=1.0 is not allowed: a number ≥ 0 and < 1"),
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
    assert train_count(TrainConfig(p=2, train_frac=0.9)) == 3
    TrainConfig(p=3, op="div", fact_frac=0.0, wd=0.0, l1=0.0, l2=0.0, dropout=0.0, n_snapshots=0, batch_size=0)


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
    (["--fact-frac", "1"], "fact_frac=1.0 is not allowed: a number ≥ 0 and < 1"),
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
