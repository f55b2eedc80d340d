"""Theory vs simulation: the verdict (theory.agreement) follows from the gaps in standard errors."""

import json
import math

import pytest

from rulesfacts.theory.agreement import WITHIN, agreement
from tests.cli_helpers import run_cli


def test_agree_within_k_standard_errors():
    out = agreement({"e_gen": 0.30, "e_gen_se": 0.01, "m": 0.50, "m_se": 0.02}, {"e_gen": 0.28, "m": 0.51},
                    ("e_gen", "m"))
    assert out["gap_se_e_gen"] == pytest.approx(2.0) and out["gap_se_m"] == pytest.approx(0.5)
    assert out["agree"] is True and "agree within 3 standard errors" in out["verdict"] and "e_gen" in out["verdict"]


def test_disagree_names_the_quantities_beyond_k():
    out = agreement({"e_gen": 0.30, "e_gen_se": 0.01, "m": 0.532, "m_se": 0.011}, {"e_gen": 0.30, "m": 0.5844},
                    ("e_gen", "m"))
    assert out["gap_se_m"] == pytest.approx(0.0524 / 0.011) and out["gap_se_m"] > WITHIN
    assert out["agree"] is False and "differ by more than 3 standard errors on m " in out["verdict"]
    assert "4.8 standard errors" in out["verdict"]


def test_no_standard_error_no_verdict():
    out = agreement({"e_gen": 0.3, "e_gen_se": None}, {"e_gen": 0.3}, ("e_gen",))
    assert out["agree"] is None and "more seeds" in out["verdict"]
    out = agreement({"e_gen": 0.3, "e_gen_se": 0.0}, {"e_gen": 0.2}, ("e_gen",))
    assert out["agree"] is False and out["gap_se_e_gen"] is None


def test_simulate_prints_a_verdict_from_its_numbers(capsys):
    code, out, err = run_cli(["simulate", "--d", "60", "--seeds", "3", "--quiet", "--json"], capsys)
    res = json.loads(out)
    assert code == 0
    gaps = {k: abs(res[k] - res[f"theory_{k}"]) / res[f"{k}_se"] for k in ("e_gen", "e_mem", "e_train_rule", "m", "q")}
    assert all(math.isclose(res[f"gap_se_{k}"], g, rel_tol=1e-12) for k, g in gaps.items())
    assert res["agree"] is (max(gaps.values()) <= WITHIN)
    assert ("agree within" in res["verdict"]) is res["agree"]


def test_bayes_shows_no_loss_and_no_lambda(capsys):
    code, out, err = run_cli(["theory", "--learner", "bayes", "--json"], capsys)
    res = json.loads(out)
    assert code == 0 and res["learner"] == "bayes" and "loss" not in res and "lam" not in res
    code, out, err = run_cli(["theory", "--learner", "bayes", "--optimal-lam"], capsys)
    assert code == 2 and "optimal_lam" in err
