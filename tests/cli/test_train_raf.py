"""``rulesfacts train --task raf --theory``: the theory's prediction beside the measured errors."""

import json

from rulesfacts.theory import solve_point
from tests.cli_helpers import run_cli

ARGS = ["train", "--task", "raf", "--loss", "square", "--d", "30", "--alpha", "2", "--fact-frac", "0.2",
        "--lam", "0.5", "--epochs", "60", "--test-size", "200", "--json", "-q"]


def test_theory_keys_sit_beside_e_gen_and_e_mem(tmp_path, capsys):
    code, out, _ = run_cli([*ARGS, "--model", "linear", "--theory", "-o", str(tmp_path / "r")], capsys)
    assert code == 0
    s = json.loads(out)
    th = solve_point("linear", "square", 2.0, 0.2, 0.5)
    assert s["theory_e_gen"] == th["e_gen"] and s["theory_e_mem"] == th["e_mem"]
    assert s["e_gen"] == 1 - s["test_acc"] and s["e_mem"] == 1 - s["facts_memorized"]
    stored = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert stored["theory_e_gen"] == th["e_gen"]


def test_theory_for_a_network_is_refused_before_training(tmp_path, capsys):
    code, _, err = run_cli([*ARGS, "--model", "mlp", "--theory", "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and "model" in err and not (tmp_path / "r").exists()


def test_eps_is_the_fact_fraction_in_train_as_in_theory(tmp_path, capsys):
    """``--eps`` is the RAF model's ε in both commands: the theory value ``train --theory`` prints at
    ``--eps 0.3`` is the one ``rulesfacts theory --eps 0.3`` gives, and the run trained on ε = 0.3."""
    args = ["--alpha", "2", "--lam", "0.5", "--loss", "square", "--json"]
    code, out, err = run_cli(["theory", "--learner", "linear", "--eps", "0.3", *args], capsys)
    assert code == 0 and err.strip() == "note: '--eps' is deprecated, use '--fact-frac'"
    theory = json.loads(out)
    assert theory["fact_frac"] == 0.3
    run = tmp_path / "r"
    code, out, err = run_cli(["train", "--task", "raf", "--model", "linear", "--d", "30", "--epochs", "60",
                              "--test-size", "200", "--eps", "0.3", "--theory", "-q", "-o", str(run), *args], capsys)
    assert code == 0 and err.strip() == "note: '--eps' is deprecated, use '--fact-frac'"
    s = json.loads(out)
    assert s["theory_e_gen"] == theory["e_gen"] and s["theory_e_mem"] == theory["e_mem"]
    assert json.loads((run / "config.json").read_text())["config"]["fact_frac"] == 0.3
    assert s["n_facts"] == round(0.3 * 60)  # n = α·d = 60 examples, round(ε·n) of them facts

