"""Phase maps and metric heatmaps: one cell per (panel, α, ξ), majority phase, mean metric."""

import itertools

import pandas as pd
import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.sweep.diagrams import metric_cells, phase_cells, plot_metric_heatmap, plot_phase_diagram, swept_fields


def table():
    """Two weight decays × 3 α × 2 ξ × 3 seeds, with a known phase and accuracy per cell."""
    rows = []
    for wd, a, xi, seed in itertools.product([0.0, 5.0], [0.3, 0.5, 0.7], [0.1, 0.4], [0, 1, 2]):
        phase = "memorization" if wd == 0 else ("full inversion" if a > 0.4 else "forgetting")
        if wd == 5 and a == 0.7 and seed == 2:
            phase = "confusion"  # outvoted 2 to 1
        rows.append({"wd": wd, "train_frac": a, "corrupt": xi, "seed": seed, "p": 11, "phase": phase,
                     "test_acc": a + 0.1 * seed, "status": "completed"})
    return pd.DataFrame(rows)


def test_swept_fields_and_cells():
    df = table()
    assert swept_fields(df) == ["train_frac", "corrupt", "wd", "seed"]
    cells = phase_cells(df, "train_frac", "corrupt", ["wd"])
    assert len(cells) == 2 * 3 * 2 and set(cells["n_runs"]) == {3}
    hit = cells[(cells.wd == 5) & (cells.train_frac == 0.7)]
    assert set(hit["phase"]) == {"full inversion"} and set(hit["agreement"].round(3)) == {0.667}
    means = metric_cells(df, "test_acc", "train_frac", "corrupt", ["wd"])
    expected = [a + 0.1 for _ in (0, 5) for a in (0.3, 0.3, 0.5, 0.5, 0.7, 0.7)]  # mean over seeds 0, .1, .2
    assert means["test_acc"].tolist() == pytest.approx(expected)


def test_phase_png_and_csv(tmp_path):
    res = plot_phase_diagram(table(), tmp_path / "phases.png")
    assert res["panel"] == ["wd"]
    assert res["panels"] == {"wd=0": {"memorization": 6}, "wd=5": {"forgetting": 2, "full inversion": 4}}
    assert (tmp_path / "phases.png").stat().st_size > 1000
    csv = pd.read_csv(tmp_path / "phases.csv")
    assert len(csv) == 12 and {"wd", "train_frac", "corrupt", "phase", "agreement", "n_runs"} <= set(csv.columns)


def test_metric_heatmap(tmp_path):
    res = plot_metric_heatmap(table(), "test_acc", tmp_path / "h.png", panel="wd")
    assert res["mean"] == pytest.approx(table()["test_acc"].mean())
    assert len(pd.read_csv(tmp_path / "h.csv")) == 12
    with pytest.raises(ConfigError) as e:
        plot_metric_heatmap(table(), "phase", tmp_path / "x.png")
    assert e.value.field == "metric"
    with pytest.raises(ConfigError) as e:
        plot_phase_diagram(table(), tmp_path / "y.png", x="lr")
    assert e.value.field == "axis"
