"""The benchmark's tables (``rulesfacts.bench.suite``) and its one timer (``rulesfacts.bench.timing``)."""

import pytest

from rulesfacts.bench.suite import BenchConfig, device_table, diagram_estimate, scaled_epochs
from rulesfacts.bench.timing import seconds
from rulesfacts.errors import ConfigError


def test_diagram_estimate_uses_the_fastest_variant():
    rows = [{"p": 97, "variant": "baseline", "model_epochs_per_s": 10.0},
            {"p": 97, "variant": "fp32 M=1", "model_epochs_per_s": 20.0},
            {"p": 97, "variant": "fp32 M=4", "model_epochs_per_s": 40.0},
            {"p": 97, "variant": "bf16 M=4", "model_epochs_per_s": 80.0},
            {"p": 23, "variant": "fp32 M=64", "model_epochs_per_s": 1e6}]
    est = diagram_estimate(rows)
    work = 17 * 17 * 4 * 2000
    assert est["baseline_hours"] == round(work / 10 / 3600, 2)
    assert est["ours_fp32_hours"] == round(work / 40 / 3600, 2)
    assert est["ours_bf16_hours"] == round(work / 80 / 3600, 2)


def test_the_timer_warms_up_once_then_times_calls_times_repeats():
    count = []
    assert seconds(lambda: count.append(1), calls=3, repeats=2) >= 0
    assert len(count) == 1 + 3 * 2
    count.clear()
    seconds(lambda: count.append(1), calls=4, warmup=False)
    assert len(count) == 4


def test_big_ensembles_time_fewer_epochs():
    assert scaled_epochs(6, 1) == 6 and scaled_epochs(6, 4) == 3 and scaled_epochs(6, 64) == 1


@pytest.mark.parametrize("field,value", [("epochs", 0), ("repeats", True), ("threads", -1), ("ensembles", ()),
                                         ("sizes", ((1, 10),))])
def test_bench_config_rejects_bad_values(field, value):
    with pytest.raises(ConfigError):
        BenchConfig(**{field: value})


def test_the_gpu_table_runs_on_the_cpu_and_reports_what_fails():
    """The GPU table's logic on the CPU: every variant timed or named with its error (a CUDA graph
    needs CUDA), same-round ratios to fp32 at the smallest M, and the three peaks."""
    cfg = BenchConfig(sizes=((7, 8),), ensembles=(1, 2), epochs=1, repeats=1, memory=False, extras=False)
    rows = device_table(cfg, device="cpu")
    by_name = {r["variant"]: r for r in rows}
    assert {"peak fp32", "peak tf32", "peak bf16"} <= set(by_name)
    assert "cuda_graph needs a CUDA device" in by_name["fp32 graph M=1"]["error"]
    assert by_name["fp32 M=1"]["x_vs_fp32_m1"] == 1.0
    timed = [r for r in rows if "model_epochs_per_s" in r]
    assert {r["variant"] for r in timed} == {"fp32 M=1", "tf32 M=1", "cpu-blocked fp32 M=1", "bf16 M=1",
                                             "fp32 M=2", "tf32 M=2", "cpu-blocked fp32 M=2", "bf16 M=2"}
    assert all(r["model_epochs_per_s"] > 0 and r["tflops_useful"] > 0 for r in timed)
