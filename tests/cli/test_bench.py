"""``rulesfacts bench``: the --json contract and one-line errors (the library: tests/bench/)."""

import json

import pytest

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


def test_bench_help_names_every_option(capsys):
    code, out, _ = run_cli(["bench", "--help"], capsys)
    assert code == 0
    for option in ("--epochs", "--repeats", "--ensembles", "--sizes", "--threads", "--memory", "--compiled",
                   "--extras", "--device", "--json"):
        assert option in out


def test_bench_on_cuda_without_a_gpu_is_one_line_exit_2(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, out, err = run_cli(["bench", "--device", "cuda", "--json"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error:") and "device" in err and len(err.strip().splitlines()) == 1
