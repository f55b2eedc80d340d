"""Before a run, `train` says what it will do and how long it is estimated to take, and warns
once when bfloat16 is emulated on this CPU."""

import pytest

from rulesfacts import runtime
from rulesfacts.bench.estimate import duration_text, estimate_run
from rulesfacts.bench.trainer import useful_flops
from rulesfacts.config.train import TrainConfig
from tests.cli_helpers import run_cli

SMALL = ["--p", "11", "--width", "16", "--epochs", "5", "--device", "cpu"]


def test_train_prints_its_plan_and_an_estimate(tmp_path, capsys):
    code, out, err = run_cli(["train", *SMALL, "--out", tmp_path / "r"], capsys)
    said = " ".join(err.split())
    assert code == 0
    assert "modular p=11 op=add" in said and "width 16" in said and "5 epochs" in said and "on cpu" in said
    assert "estimated time: about" in said and "GFLOP" in said


def test_the_estimate_is_the_flop_count_over_the_measured_rate():
    cfg = TrainConfig(p=11, width=16, epochs=300, device="cpu")
    e = estimate_run(cfg, budget_s=0.05)
    assert e.flops == pytest.approx(useful_flops(cfg) * 300, rel=1e-12)
    assert e.seconds == pytest.approx(e.flops / e.flops_per_second, rel=1e-12) and e.seconds > 0


@pytest.mark.parametrize("s, text", [(12, "12 s"), (600, "10.0 min"), (7200, "2.0 h")])
def test_duration_text(s, text):
    assert duration_text(s) == text


@pytest.mark.parametrize("flags, native", [("flags : fpu avx2 avx512f", False), ("flags : avx512f avx512_bf16", True),
                                           ("flags : amx_bf16 amx_tile", True), ("", False)])
def test_bf16_native_reads_the_cpu_flags(flags, native):
    assert runtime.bf16_native("cpu", flags) is native
    assert runtime.bf16_native("cuda", flags) is True


@pytest.mark.parametrize("native", [False, True])
def test_emulated_bf16_gets_one_warning_line(tmp_path, capsys, monkeypatch, native):
    monkeypatch.setattr(runtime, "bf16_native", lambda device_type, cpu_flags=None: native)
    code, out, err = run_cli(["train", *SMALL, "--dtype", "bfloat16", "--quiet", "--json", "--out", tmp_path / "r"],
                             capsys)
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert code == 0 and len(warnings) == (0 if native else 1)
    assert native or "emulated" in " ".join(err.split())
