import numpy as np
import pytest

from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.report.theory_report import TheorySpec, load_theory_spec, theory_report_data
from tests.report.conftest import needs_theory


def test_spec_file_is_read_and_validated(theory_spec, tmp_path):
    spec = load_theory_spec(theory_spec)
    assert spec.fact_frac == (0.1, 0.3) and spec.lam == (0.01, 0.1, 1.0) and spec.n_alpha == 8
    np.testing.assert_allclose(spec.alphas[[0, -1]], [0.2, 5.0])
    assert np.allclose(np.diff(np.log(spec.alphas)), np.log(25) / 7)  # log-spaced
    bad = tmp_path / "bad.toml"
    bad.write_text("[theory]\nlamda = [1]\n")
    with pytest.raises(ConfigError, match="theory.lamda"):
        load_theory_spec(bad)
    bad.write_text('[[figure]]\nname = "raf-lambda"\n')  # a `rulesfacts curves` file, not a report spec
    with pytest.raises(DataFileError, match="no \\[theory\\] table"):
        load_theory_spec(bad)
    bad.write_text("[theory\n")
    with pytest.raises(DataFileError, match="not valid TOML"):
        load_theory_spec(bad)


@pytest.mark.parametrize("kw,field", [({"fact_frac": 1.5}, "theory.fact_frac"), ({"lam": [-1.0]}, "theory.lam"),
                                      ({"alpha_min": 0}, "theory.alpha_min"), ({"alpha_max": 0.05}, "theory.alpha_max"),
                                      ({"n_alpha": 1}, "theory.n_alpha")])
def test_spec_values_are_checked(kw, field):
    with pytest.raises(ConfigError, match=field):
        TheorySpec(**kw)


def test_a_single_number_becomes_a_one_value_grid():
    assert TheorySpec(fact_frac=0.2, lam=0.5).lam == (0.5,)


@needs_theory
def test_grid_holds_theory_curve_for_every_eps_and_lambda(theory_spec):
    from rulesfacts.theory import theory_curve

    spec = load_theory_spec(theory_spec)
    d = theory_report_data(spec)
    assert len(d["curves"]) == 2 and all(len(row) == 3 for row in d["curves"])
    ref = theory_curve("linear", "square", spec.alphas, 0.3, 0.1)
    np.testing.assert_allclose(d["curves"][1][1]["e_gen"], ref["e_gen"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(d["curves"][1][1]["e_mem"], ref["e_mem"], rtol=1e-3, atol=1e-6)
    # E_gen = arccos(m/√q)/π (references.md §2) must hold on every point of the grid
    np.testing.assert_allclose(ref["e_gen"], np.arccos(ref["m"] / np.sqrt(ref["q"])) / np.pi, atol=1e-6)


def test_old_key_eps_in_a_theory_spec_is_read_with_a_note(tmp_path):
    spec = tmp_path / "theory.toml"
    spec.write_text('[theory]\nlearner = "linear"\nloss = "square"\neps = [0.1, 0.3]\n')
    with pytest.warns(DeprecationWarning, match=r"'theory\.eps' is deprecated, use 'theory\.fact_frac'"):
        assert load_theory_spec(spec).fact_frac == (0.1, 0.3)
