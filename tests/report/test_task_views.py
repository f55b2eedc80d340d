"""The per-task views of a run report against known answers: cosine fits of exact cosines, the
star plot of an exact Fourier layer (the unit circle) and of random weights (a Rayleigh cloud),
the predictions grid against the trainer's own subset metrics, per-task headers and help."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.report import task_views as views
from rulesfacts.report.encode import half, unhalf
from rulesfacts.report.run_report import opening_frame
from rulesfacts.tasks import describe
from tests.tolerance import U_FLOAT64, gamma


def cosines(p, freqs, phases, amps, dc=0.0):
    n = np.arange(p)
    return np.array([a * np.cos(2 * np.pi * f * n / p + ph) + dc for f, ph, a in zip(freqs, phases, amps, strict=True)])


def test_cosine_fit_recovers_frequency_phase_amplitude_and_offset():
    p = 23
    freqs, phases, amps = [1, 5, 11, 7], [0.3, -2.0, 1.1, 3.0], [0.5, 2.0, 1.0, 0.01]
    fit = views.cosine_fit(cosines(p, freqs, phases, amps, dc=0.25))
    tol = float(gamma(p, U_FLOAT64)) * 10 * 2  # p-term sums of the DFT, amplitudes ≤ 2
    assert fit["freq"].tolist() == freqs
    np.testing.assert_allclose(fit["phase"], phases, atol=tol / 0.01)
    np.testing.assert_allclose(fit["amp"], amps, atol=tol)
    np.testing.assert_allclose(fit["dc"], 0.25, atol=tol)
    even = views.cosine_fit(cosines(8, [4], [0.0], [1.5]))  # Nyquist bin of an even p: A = |X_f| / p
    np.testing.assert_allclose(even["amp"], [1.5], atol=tol)


def test_star_coordinates_of_exact_cosines_are_the_unit_circle_in_token_order():
    p, k = 31, 4
    rng = np.random.default_rng(0)
    w = cosines(p, [k] * 5, rng.uniform(-np.pi, np.pi, 5), rng.uniform(0.2, 2.0, 5))
    xy = views.star_coordinates(w, k)
    theta = 2 * np.pi * k * np.arange(p) / p
    # p-term sums, then a 2×2 pseudo-inverse whose condition number the amplitude ratio (≤ 10) bounds
    tol = float(gamma(p, U_FLOAT64)) * 100 * 10
    np.testing.assert_allclose(xy[0], np.cos(theta), atol=tol)
    np.testing.assert_allclose(xy[1], np.sin(theta), atol=tol)
    assert views.radius_spread(xy) < tol


def test_star_of_random_weights_is_a_cloud_not_a_circle():
    """Few random neurons (n ≪ p): the coordinates are dominated by noise, a 2-D Gaussian whose
    radius is Rayleigh-distributed, CV = √((4 − π)/π) ≈ 0.52; far above the 0.2 the browser test
    uses as its bound for 'on a circle'."""
    p, k = 97, 3
    cvs = [views.radius_spread(views.star_coordinates(np.random.default_rng(s).normal(size=(6, p)), k))
           for s in range(20)]
    assert np.median(cvs) > 0.3 and min(cvs) > 0.2
    rayleigh = math.sqrt((4 - math.pi) / math.pi)
    assert abs(np.median(cvs) - rayleigh) < 0.15


def test_shuffled_columns_keeps_each_rows_values_and_destroys_the_wave():
    w = cosines(29, [3, 3], [0.0, 1.0], [1.0, 1.0])
    s = views.shuffled_columns(w)
    np.testing.assert_array_equal(np.sort(s, axis=1), np.sort(w, axis=1))
    assert views.cosine_fit(s)["amp"].max() < 0.8  # the single spike of amplitude 1 is gone


def test_star_frequencies_prefers_generalizing_neurons_and_needs_two():
    freq = np.array([1, 1, 2, 2, 2, 3, 4, 4])
    gen = np.array([1, 1, 0, 0, 0, 1, 0, 1], bool)
    assert views.star_frequencies(freq, gen) == [1, 4, 2]  # 3 has one neuron: no plane to project on


def test_prediction_grid_counts_equal_the_subset_metrics(trained_run):
    from rulesfacts.training.evaluate import evaluate
    from rulesfacts.training.rundir import load_run

    run = load_run(trained_run)
    w = run.weights()
    grid = views.prediction_grid(run.config, [w])
    counts = views.prediction_counts(grid, 0)
    m = evaluate(run.config, w)
    test = counts["test"]
    assert test["fact"] == 0 and test["rule"] / sum(test.values()) == pytest.approx(m["test_acc"], abs=1e-6)
    facts = counts["facts"]
    n_facts = sum(facts.values())
    assert n_facts == int(run.config.fact_frac * int(run.config.train_frac * run.config.p ** 2))
    assert facts["fact"] / n_facts == pytest.approx(m["facts_memorized"], abs=1e-6)
    assert facts["rule"] / n_facts == pytest.approx(m["facts_recovered"], abs=1e-6)
    assert counts["clean"]["fact"] == 0
    assert counts["clean"]["rule"] / sum(counts["clean"].values()) == pytest.approx(m["clean_acc"], abs=1e-6)


def test_headers_show_only_the_fields_of_the_task():
    modular = dict(views.header_fields(TrainConfig(p=11, width=8)))
    parity = dict(views.header_fields(TrainConfig(task="parity", n_bits=12, k=3, width=8, l1=1e-3)))
    assert modular["α"] == 0.5 and modular["p"] == 11 and "n" not in modular
    assert "α" not in parity and "p" not in parity and parity["n"] == 12 and parity["k"] == 3 and parity["l1"] == 1e-3
    # every other task (a plug-in: tasks.REGISTRY) gets the dense view, its data named by the task itself
    raf = TrainConfig(task="raf", d=40, alpha=2.0, fact_frac=0.2, width=16, seed=1, epochs=10)
    fields = dict(views.header_fields(raf))
    assert views.view_kind("raf") == "dense" and fields["task"] == "raf" and "α" not in fields and "p" not in fields
    assert fields["data"] == describe(raf) and "d=40" in fields["data"] and fields["regularization"] == "none"
    assert fields["model"] == f"MLP N=16 {raf.act}" and "α=" not in views.config_line(raf)


def test_help_texts_are_per_task():
    mod = views.help_texts(TrainConfig(p=11))
    par = views.help_texts(TrainConfig(task="parity"))
    other = views.help_texts(SimpleNamespace(task="images", model="mlp"))
    assert "tokens 0…p−1 of input a" in mod["heatmap"] and "star" in mod and "predictions" in mod
    assert "input bit" in par["heatmap"] and "input a" not in par["heatmap"] and "star" not in par
    assert "spectrum" not in par and "spectrum" not in other and "no built-in notion" in other["heatmap"]


def test_half_round_trips_within_float16_precision():
    m = np.array([[1.0, 2.5, -3.25, 2047.0], [0.1, 1e-3, np.nan, 12.0]])
    back = unhalf(half(m))
    np.testing.assert_array_equal(back[0], m[0])  # small integers and dyadic numbers are exact
    np.testing.assert_allclose(back[1, [0, 1, 3]], m[1, [0, 1, 3]], rtol=2.0**-11)
    assert back[1, 2] == 0.0


def test_opening_frame_is_where_test_accuracy_gets_halfway():
    import pandas as pd

    df = pd.DataFrame({"epoch": [0, 10, 20, 30, 40], "test_acc": [0.0, 0.1, 0.3, 0.9, 1.0]})
    assert opening_frame(df, [0, 15, 25, 35, 40]) == 3  # halfway (0.5) first reached at epoch 30 → snapshot 35
    flat = pd.DataFrame({"epoch": [0, 10], "test_acc": [0.01, 0.02]})
    assert opening_frame(flat, [0, 5, 10]) == 2  # no rise: the last snapshot


def test_star_members_are_the_generalizing_neurons_at_k_when_there_are_two():
    freq = np.array([5, 5, 5, 7, 7, 9])
    gen = np.array([1, 1, 0, 1, 0, 0], bool)
    assert views.star_members(freq, gen, 5).tolist() == [True, True, False, False, False, False]
    assert views.star_members(freq, gen, 7).tolist() == [False, False, False, True, True, False]  # one: all at k
