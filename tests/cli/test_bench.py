"""``rulesfacts bench``: the --json contract, one-line errors, and the FLOP accounting."""

import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from rulesfacts.cli.bench import BaselineClock, diagram_estimate, reference_configs, useful_flops
from tests.cli_helpers import run_cli


def test_bench_json_is_one_object_with_every_part(capsys):
    code, out, _ = run_cli(["bench", "--sizes", "7x8", "--ensembles", "1,2", "--epochs", "1", "--repeats", "1",
                            "--no-extras", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    variants = {r["variant"] for r in result["trainer"]}
    assert {"baseline", "fp32 M=1", "fp32 M=2", "fp32 autograd M=1", "bf16 M=2"} <= variants
    assert result["machine"]["cores"] >= 1 and result["matmul_peak_gflops"]["p=7 peak fp32"] > 0
    for row in result["trainer"]:
        assert row["model_epochs_per_s"] > 0 and row["speedup_vs_baseline"] > 0


@pytest.mark.parametrize("args", [["--ensembles", "a,b"], ["--sizes", "97"], ["--epochs", "0"], ["--ensembles", "0"]])
def test_bench_bad_input_is_one_line_exit_2(args, capsys):
    code, out, err = run_cli(["bench", *args, "--json"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_useful_flops_output_layer_matches_torch_flop_counter():
    """torch's FLOP counter on the baseline's forward + backward counts the one-hot layer as
    4·n·2p·N (forward and weight gradient) and the output layer as 6·n·N·C: our useful FLOPs
    must be that output layer plus the 3·n·N adds of the gather and its scatter."""
    cfg = reference_configs(11, 16, 1, 0.5, 10)[0]
    clock = BaselineClock(cfg)
    n, p, width = clock.x.shape[0], cfg.p, cfg.width
    with FlopCounterMode(display=False) as counter:
        clock.loss(clock.model(clock.x), clock.target).backward()
    one_hot_layer = 4 * n * 2 * p * width
    expected = counter.get_total_flops() - one_hot_layer + 3 * n * width
    assert useful_flops(p, width, n, 0, 10) == pytest.approx(expected)
    n_test = clock.x_test.shape[0]
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        clock.model(clock.x_test)
    test_pass = counter.get_total_flops() - 2 * n_test * 2 * p * width + n_test * width
    assert useful_flops(p, width, n, n_test, 10) - useful_flops(p, width, n, 0, 10) == pytest.approx(test_pass / 10)


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
