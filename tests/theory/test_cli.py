"""``rulesfacts theory | simulate | capacity | curves``: the --json contract and one-line errors."""

import json

import pytest

from tests.cli_helpers import run_cli


def test_theory_json_has_the_agreed_keys(capsys):
    code, out, _ = run_cli(["theory", "--learner", "rf", "--loss", "hinge", "--act", "relu", "--kappa", "3",
                            "--alpha", "1.5", "--json"], capsys)
    summary = json.loads(out)
    assert code == 0 and {"e_gen", "e_mem", "m", "q", "V"} <= summary.keys()
    assert 0 < summary["e_gen"] < 0.5


def test_theory_optimal_lambda_and_bayes(capsys):
    code, out, _ = run_cli(["theory", "--optimal-lam", "--alpha", "3", "--json"], capsys)
    assert code == 0 and json.loads(out)["lam"] > 0
    code, out, _ = run_cli(["theory", "--learner", "bayes", "--alpha", "3", "--json"], capsys)
    assert code == 0 and json.loads(out)["e_mem"] is None


def test_simulate_kernel_matrix_reports_the_linearised_fit_beside(capsys):
    code, out, _ = run_cli(["simulate", "--learner", "kernel", "--act", "relu", "--kernel-matrix", "--d", "40",
                            "--seeds", "2", "--n-test", "200", "--json"], capsys)
    summary = json.loads(out)
    assert code == 0 and {"theory_e_gen", "linearised_e_gen", "nonlinear_gap_e_gen", "verdict"} <= summary.keys()
    assert summary["nonlinear_gap_e_gen"] == pytest.approx(summary["e_gen"] - summary["linearised_e_gen"], abs=1e-12)


def test_capacity_json(capsys):
    code, out, _ = run_cli(["capacity", "--fact-frac", "1", "--json"], capsys)
    assert code == 0 and json.loads(out)["alpha_c"] == pytest.approx(2.0)
    code, out, err = run_cli(["capacity", "--eps", "1", "--json"], capsys)  # the old flag, for a release
    assert code == 0 and json.loads(out)["alpha_c"] == pytest.approx(2.0)
    assert err.strip() == "note: '--eps' is deprecated, use '--fact-frac'"
    code, out, err = run_cli(["capacity", "--eps", "1", "--fact-frac", "0.5"], capsys)
    assert code == 2 and out == "" and err.strip().splitlines()[-1] == (
        "error: fact_frac=0.5 is not allowed: given twice, as --fact-frac and --eps")


def test_simulate_json_puts_theory_beside(capsys):
    code, out, _ = run_cli(["simulate", "--d", "100", "--seeds", "2", "--alpha", "1", "--json"], capsys)
    s = json.loads(out)
    assert code == 0 and {"e_gen", "e_gen_se", "e_mem", "theory_e_gen", "theory_e_mem"} <= s.keys()


def test_curves_spec_writes_png_and_csv(tmp_path, capsys):
    spec = tmp_path / "c.toml"
    spec.write_text('[[figure]]\nname = "t"\nx = "alpha"\nxs = {start = 0.5, stop = 2, num = 4}\n'
                    'series = {lam = [0.1, 1.0]}\nlearner = "linear"\nloss = "square"\nfact_frac = 0.2\n'
                    'simulate = {d = 60, seeds = 2, xs = [1.0]}\n')
    code, out, _ = run_cli(["curves", str(spec), "--out", str(tmp_path / "o"), "--json"], capsys)
    assert code == 0 and json.loads(out)["figures"] == [str(tmp_path / "o" / "t.png")]
    csv = (tmp_path / "o" / "t.csv").read_text().splitlines()
    assert len(csv) == 1 + 2 * 4 + 2  # header, 2 series × 4 theory rows, 2 simulation rows


@pytest.mark.parametrize("args, needle", [
    (["theory", "--loss", "mse"], "loss"),
    (["theory", "--fact-frac", "2"], "fact_frac"),
    (["theory", "--lam", "0"], "lam"),
    (["theory", "--learner", "rf", "--act", "gelu"], "act"),
    (["simulate", "--learner", "bayes"], "learner"),
    (["simulate", "--d", "1"], "d="),
    (["simulate", "--learner", "kernel", "--act", "tanh", "--kernel-matrix"], "act"),
    (["capacity", "--fact-frac", "-0.1"], "fact_frac"),
    (["curves", "/nonexistent/spec.toml"], "not found"),
])
def test_bad_input_is_one_line_exit_2(args, needle, capsys, tmp_path):
    code, out, err = run_cli([*args, "--json"], capsys)
    assert code == 2 and out == "" and needle in err and len(err.strip().splitlines()) == 1


def test_bad_spec_fails_before_writing_anything(tmp_path, capsys):
    spec = tmp_path / "c.toml"
    spec.write_text('[[figure]]\nname = "ok"\nxs = [1, 2]\n[[figure]]\nname = "bad"\nxs = [1]\nloss = "mse"\n')
    code, _, err = run_cli(["curves", str(spec), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "loss" in err and not (tmp_path / "o").exists()


def test_tradeoff_figure_and_its_numbers(tmp_path, capsys):
    spec = tmp_path / "t.toml"
    spec.write_text('[[figure]]\nname = "f"\nx = "lam"\nxs = {start = 0.01, stop = 10, num = 5, log = true}\n'
                    'learner = "linear"\nloss = "square"\nalpha = 0.8\nfact_frac = 0.3\ntradeoff = true\n')
    code, _, _ = run_cli(["curves", str(spec), "--out", str(tmp_path), "--json"], capsys)
    import pandas as pd

    df = pd.read_csv(tmp_path / "f.csv")
    assert code == 0 and (tmp_path / "f.png").stat().st_size > 0
    assert df["e_mem"].is_monotonic_increasing  # stronger ridge, more facts forgotten
