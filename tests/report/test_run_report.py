import numpy as np
import pandas as pd
import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.report.encode import dequantize
from rulesfacts.report.run_report import (
    RunReportOptions,
    curves_data,
    ipr_histogram,
    neuron_order,
    run_report_data,
    select_neurons,
    spectrum_power,
)
from rulesfacts.training.rundir import load_run
from tests.report.conftest import FRAMES, WIDTH, P, blend


def slow_power(w):
    """Σ over rows of |Σ_n w[n] e^{−2πikn/p}|², k = 0..p//2, normalised: a plain DFT by hand."""
    p = w.shape[1]
    n = np.arange(p)
    out = []
    for k in range(p // 2 + 1):
        re = (w * np.cos(2 * np.pi * k * n / p)).sum(1)
        im = (w * np.sin(2 * np.pi * k * n / p)).sum(1)
        out.append((re**2 + im**2).sum())
    out = np.array(out)
    return out / out.sum()


@pytest.fixture(scope="module")
def data(analytic_run):
    return run_report_data(load_run(analytic_run))


def test_spectrum_power_matches_a_hand_written_dft():
    rng = np.random.default_rng(3)
    parts = (rng.normal(size=(5, 11)), rng.normal(size=(5, 11)), rng.normal(size=(5, 11)))
    for got, w in zip(spectrum_power(parts), parts, strict=True):
        np.testing.assert_allclose(got, slow_power(w), rtol=1e-3, atol=1e-6)


def test_curves_thin_to_max_points_keep_the_last_epoch_and_skip_empty_subsets():
    df = pd.DataFrame({"epoch": np.arange(0, 1000, 2), "train_acc": np.linspace(0, 1, 500),
                       "facts_memorized": np.nan, "test_loss": np.linspace(1, 0.1, 500)})
    c = curves_data(df, 50)
    assert len(c["epoch"]) == 50 and c["epoch"][0] == 0 and c["epoch"][-1] == 998
    assert [s["key"] for s in c["acc"]] == ["train"]  # facts column is all NaN: no made-up series
    assert c["acc"][0]["y"][-1] == 1.0
    assert [s["key"] for s in c["loss"]] == ["test"]


def test_final_snapshot_of_the_analytic_net(data):
    snaps = data["snapshots"]
    assert snaps["epochs"] == list(FRAMES) and snaps["fourier"] and snaps["p"] == P
    last = snaps["frames"][-1]
    # every neuron of Gromov's net is a pure cosine: all generalizing, IPR histogram sums to N
    assert last["n_generalizing"] == WIDTH and last["n_memorizing"] == 0
    assert sum(last["ipr_hist"]["generalizing"]) == WIDTH
    # its power sits on the frequencies 1..(p−1)/2 it uses, none at k = 0
    for part in last["spectrum"]:
        assert part[0] < 1e-3 and abs(sum(part) - 1) < 1e-3
    # rows sorted by dominant frequency: the analytic net cycles 1..6, so sorted it is 1,1,..,6,6
    from rulesfacts.analysis.analytic import analytic_params

    freq = analytic_params(P, WIDTH, seed=1)[0]
    assert snaps["final_freq"] == sorted(freq.tolist())
    assert sorted(snaps["final_order"]) == list(range(WIDTH))


def test_heatmaps_decode_to_the_snapshot_weights(data, analytic_run):
    run = load_run(analytic_run)
    for frame in data["snapshots"]["frames"]:
        w = run.snapshot(frame["epoch"])
        for key, ref in (("W_in", w["W_in"]), ("W_out", w["W_out"].T)):
            back = dequantize(frame[key])
            assert back.shape == ref.shape
            assert np.abs(back - ref).max() <= np.abs(ref).max() / 255 * 1.01


def test_per_neuron_spectra_of_the_analytic_net_are_single_spikes(data):
    from rulesfacts.analysis.analytic import analytic_params

    q = data["snapshots"]["frames"][-1]["spectrum_rows"]
    v = np.frombuffer(__import__("base64").b64decode(q["b64"]), np.uint8).reshape(q["rows"], q["cols"]) / 255
    assert (q["rows"], q["cols"]) == (WIDTH, P // 2 + 1)
    freq = analytic_params(P, WIDTH, seed=1)[0]
    assert v.argmax(1).tolist() == freq.tolist()  # the spike sits at the neuron's frequency
    assert np.all(v.max(1) > 0.99)  # normalised |FFT| of a pure cosine: one bin holds all of it


def test_init_snapshot_is_noisy_and_memorizing_on_the_final_scale(data):
    first = data["snapshots"]["frames"][0]  # t = 0: pure Gaussian noise
    assert first["n_memorizing"] > WIDTH * 0.8
    assert max(first["spectrum"][0]) < 0.5


def test_neuron_order_puts_generalizing_first_then_frequency_then_phase():
    freq = np.array([3, 1, 2, 1, 5])
    phase = np.array([0.0, 0.5, 0.0, -0.5, 0.0])
    gen = np.array([True, True, False, True, True])
    assert neuron_order(freq, phase, gen).tolist() == [3, 1, 0, 4, 2]


def test_ipr_histogram_splits_counts_by_class_and_ignores_nan():
    edges = np.geomspace(0.01, 1, 5)
    ipr = np.array([0.02, 0.5, 0.9, np.nan, 2.0])
    gen = np.array([False, True, True, False, True])
    h = ipr_histogram(ipr, gen, edges)
    assert sum(h["memorizing"]) == 1 and sum(h["generalizing"]) == 3  # 2.0 is clipped into the top bin
    assert h["generalizing"][-1] == 3


def test_select_neurons_keeps_the_largest_norms():
    w = blend(1.0)
    w["W_in"][[2, 5]] *= 10
    assert select_neurons(w, 2).tolist() == [2, 5]
    assert len(select_neurons(w, 1000)) == WIDTH


def test_pruning_curves_of_the_final_net(data, analytic_run):
    from rulesfacts.report.encode import rounded
    from rulesfacts.training.evaluate import evaluate

    run = load_run(analytic_run)
    prune = data["prune"]
    assert prune is not None and set(prune["curves"]) == {"low", "high"}
    low = prune["curves"]["low"]
    assert low["n_pruned"][0] == 0 and low["n_pruned"][-1] == WIDTH
    test = next(s for s in low["series"] if s["key"] == "test")["y"]
    assert test[0] == rounded(evaluate(run.config, run.weights())["test_acc"])  # nothing pruned: the net itself
    assert test[0] > 0.5 and test[-1] < 0.2  # the analytic net computes the rule; with no neuron left it cannot


def test_options_are_validated():
    with pytest.raises(ConfigError, match="max_snapshots"):
        RunReportOptions(max_snapshots=0)
    with pytest.raises(ConfigError, match="prune_orders"):
        RunReportOptions(prune_orders=("random-ish",))


def test_max_snapshots_thins_the_frames(analytic_run):
    d = run_report_data(load_run(analytic_run), RunReportOptions(max_snapshots=2, prune_orders=()))
    assert d["snapshots"]["epochs"] == [FRAMES[0], FRAMES[-1]]
    assert d["prune"] is None


def test_trained_run_report_has_every_panel(trained_run):
    d = run_report_data(load_run(trained_run))
    assert d["curves"]["epoch"][-1] == 60
    assert {s["key"] for s in d["curves"]["acc"]} == {"train", "clean", "facts_memorized", "facts_recovered", "test"}
    assert len(d["snapshots"]["frames"]) == 6
    frame = d["snapshots"]["frames"][-1]
    assert frame["n_generalizing"] + frame["n_memorizing"] == 24
    assert d["prune"]["curves"]["low"]["n_pruned"][-1] == 24
