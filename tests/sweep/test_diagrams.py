"""The phase map: one cell per (panel, α, ξ), majority phase with a fixed tie rule, mean metrics."""

import itertools

import pandas as pd
import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.sweep.diagrams import (
    diagram_axes,
    majority_phase,
    metric_cells,
    phase_cells,
    swept_fields,
    write_metric_map,
    write_phase_map,
)


def table():
    """Two weight decays × 3 α × 2 ξ × 3 seeds, with a known phase and accuracy per cell."""
    rows = []
    for wd, a, xi, seed in itertools.product([0.0, 5.0], [0.3, 0.5, 0.7], [0.1, 0.4], [0, 1, 2]):
        phase = "memorization" if wd == 0 else ("full inversion" if a > 0.4 else "forgetting")
        if wd == 5 and a == 0.7 and seed == 2:
            phase = "confusion"  # outvoted 2 to 1
        rows.append({"run_id": f"r{len(rows):03d}", "wd": wd, "train_frac": a, "fact_frac": xi, "seed": seed, "p": 11,
                     "phase": phase, "test_acc": a + 0.1 * seed, "status": "completed"})
    return pd.DataFrame(rows)


def test_swept_fields_and_cells():
    df = table()
    assert swept_fields(df) == ["train_frac", "fact_frac", "wd", "seed"]
    cells = phase_cells(df, "train_frac", "fact_frac")
    assert cells.attrs == {"x": "train_frac", "y": "fact_frac", "panels": ["wd"], "pooled": ["seed"]}
    assert len(cells) == 2 * 3 * 2 and set(cells["n_runs"]) == {3}
    hit = cells[(cells.wd == 5) & (cells.train_frac == 0.7)]
    assert set(hit["phase"]) == {"full inversion"} and set(hit["agreement"].round(3)) == {0.667}
    same = df[(df.wd == 5) & (df.train_frac == 0.7) & (df.fact_frac == 0.1)]
    assert sorted(hit["runs"].iloc[0]) == sorted(same.run_id)
    assert (cells.loc[(cells.wd == 0), "agreement"] == 1).all()
    # mean test accuracy over seeds 0, 1, 2: a + (0 + 0.1 + 0.2) / 3
    expected = [a + 0.1 for _ in (0, 5) for a in (0.3, 0.3, 0.5, 0.5, 0.7, 0.7)]
    assert cells["test_acc"].tolist() == pytest.approx(expected)
    means = metric_cells(df, "test_acc", "train_frac", "fact_frac")
    assert means["test_acc"].tolist() == pytest.approx(cells["test_acc"].tolist())
    assert means.attrs["panels"] == ["wd"] and set(means["n_runs"]) == {3}


@pytest.mark.parametrize("order", [("coexistence", "memorization"), ("memorization", "coexistence")])
def test_a_tied_cell_takes_the_phase_first_in_the_fixed_order(order):
    """Two replicates, one coexistence and one memorization: coexistence (it precedes memorization
    in PHASES), whatever the row order, with agreement 1/2."""
    df = pd.DataFrame({"run_id": ["a", "b"], "train_frac": [0.5, 0.5], "fact_frac": [0.3, 0.3], "seed": [0, 1],
                       "phase": list(order), "test_acc": [0.98, 0.2]})
    cells = phase_cells(df)
    assert cells[["train_frac", "fact_frac", "phase", "agreement", "tied", "n_runs"]].values.tolist() == \
        [[0.5, 0.3, "coexistence", 0.5, "coexistence = memorization", 2]]
    assert cells["test_acc"].iloc[0] == pytest.approx(0.59)


def test_majority_phase():
    assert majority_phase(["memorization", "coexistence", "memorization"]) == ("memorization", pytest.approx(2 / 3))
    # three-way tie: full inversion comes before forgetting and confusion in PHASES
    assert majority_phase(["confusion", "forgetting", "full inversion"]) == ("full inversion", pytest.approx(1 / 3))
    assert majority_phase(["diverged", "grokking"]) == ("grokking", 0.5)  # diverged is last
    assert majority_phase(["generalization", "no learning"]) == ("no learning", 0.5)
    assert majority_phase(["zzz", "aaa", "diverged"])[0] == "diverged"  # unknown labels after every phase
    assert majority_phase(["zzz", "aaa"]) == ("aaa", 0.5)
    assert majority_phase([None, float("nan"), "memorization"]) == ("unknown", pytest.approx(2 / 3))
    with pytest.raises(ValueError):
        majority_phase([])


def test_diagram_axes():
    df = table()
    assert diagram_axes(df) == ("train_frac", "fact_frac", ["wd"])
    assert diagram_axes(df, "wd", "fact_frac") == ("wd", "fact_frac", ["train_frac"])
    assert diagram_axes(df, panel="wd") == ("train_frac", "fact_frac", ["wd"])
    # an axis that does not vary is replaced by the first swept field left; seeds never are axes
    assert diagram_axes(df, "p", "fact_frac") == ("train_frac", "fact_frac", ["wd"])
    assert diagram_axes(df.drop(columns="wd").assign(lr=0.01), "lr", "p") == ("train_frac", "fact_frac", [])
    one = df[(df.wd == 0) & (df.train_frac == 0.3)]
    assert diagram_axes(one) == ("train_frac", "fact_frac", [])  # nothing to swap in: the axis stays
    for kw in ({"x": "nope"}, {"y": "nope"}, {"panel": "nope"}):
        with pytest.raises(ConfigError) as e:
            diagram_axes(df, **kw)
        assert e.value.field == next(iter(kw))


def test_phase_png_and_csv(tmp_path):
    res = write_phase_map(table(), tmp_path / "phases.png")
    assert res["panel"] == ["wd"] and res["cells"] == 12 and res["split_cells"] == 2 and res["tied_cells"] == 0
    assert res["pooled"] == ["seed"]
    assert res["panels"] == {"wd=0": {"memorization": 6}, "wd=5": {"forgetting": 2, "full inversion": 4}}
    assert (tmp_path / "phases.png").stat().st_size > 1000
    csv = pd.read_csv(tmp_path / "phases.csv")
    assert len(csv) == 12 and {"wd", "train_frac", "fact_frac", "phase", "agreement", "tied", "n_runs",
                               "test_acc"} <= set(csv)
    assert "runs" not in csv


def test_metric_heatmap(tmp_path):
    res = write_metric_map(table(), "test_acc", tmp_path / "h.png", panel="wd")
    assert res["mean"] == pytest.approx(table()["test_acc"].mean())
    assert len(pd.read_csv(tmp_path / "h.csv")) == 12
    with pytest.raises(ConfigError) as e:
        write_metric_map(table(), "phase", tmp_path / "x.png")
    assert e.value.field == "metric"
    with pytest.raises(ConfigError) as e:
        write_phase_map(table(), tmp_path / "y.png", x="lr")
    assert e.value.field == "x"


# -- what a cell pools, split and tied cells in the figure ----------------------------------------------


def split_table():
    """α ∈ {0.3, 0.7} × ξ ∈ {0.2, 0.4} × wd ∈ {1, 5} × lr ∈ {1e-3, 1e-2} × 3 seeds: at α = 0.3
    every run memorizes; at α = 0.7 the lr=1e-2 runs memorize and the lr=1e-3 runs generalize,
    but for seed 2, which forgets. Pooled over lr and seed, an α = 0.7 cell holds 3 memorizing,
    2 generalizing and 1 forgetting run; without the seed-2 runs it is a 2 to 2 tie."""
    rows = []
    for a, xi, wd, lr, seed in itertools.product([0.3, 0.7], [0.2, 0.4], [1.0, 5.0], [1e-3, 1e-2], [0, 1, 2]):
        phase = "memorization" if a == 0.3 or lr == 1e-2 else ("forgetting" if seed == 2 else "generalization")
        rows.append({"run_id": f"r{len(rows):02d}", "train_frac": a, "fact_frac": xi, "lr": lr, "wd": wd,
                     "seed": seed, "phase": phase, "test_acc": 0.5})
    return pd.DataFrame(rows)


def figure_cells(fig, ax_index=0):
    """(label text, hatch) of the split-cell marks of one panel, and the colours of its grid."""
    ax = fig.axes[ax_index]
    labels = sorted(t.get_text() for t in ax.texts if t.get_gid() == "split-label")
    hatches = sorted(p.get_hatch() for p in ax.patches if p.get_gid() == "split-cell")
    return labels, hatches


def test_pooled_axes_are_named_and_a_tie_is_drawn_as_a_tie():
    from rulesfacts.plotting import PHASE_COLORS, TIE_COLOR, plt
    from rulesfacts.sweep.diagrams import phase_figure

    df = split_table()
    cells = phase_cells(df, panel="wd")  # a panel per wd; lr and seed are pooled
    assert cells.attrs["pooled"] == ["lr", "seed"] and cells.attrs["panels"] == ["wd"]
    tie = cells[cells.train_frac == 0.7].iloc[0]
    # 3 memorization, 2 generalization, 1 forgetting: no tie, agreement 1/2
    assert (tie["phase"], tie["agreement"], tie["tied"]) == ("memorization", 0.5, "")
    fig = phase_figure(cells)
    assert "pooled over lr, seed (6 runs per cell)" in fig._suptitle.get_text()
    assert figure_cells(fig) == (["50%", "50%"], ["///", "///"]) == figure_cells(fig, 1)
    plt.close(fig)

    even = df[~((df.train_frac == 0.7) & (df.seed == 2))]  # drop the forgetting run and its lr=1e-2 twin
    cells = phase_cells(even, panel="wd")
    tie = cells[cells.train_frac == 0.7].iloc[0]
    assert (tie["agreement"], tie["tied"]) == (0.5, "memorization = generalization")
    fig = phase_figure(cells)
    assert "pooled over lr, seed (4–6 runs per cell)" in fig._suptitle.get_text()
    assert figure_cells(fig) == (["tie", "tie"], ["xx", "xx"])
    # the tied cell is not drawn in either phase's colour; the agreeing one is drawn as memorization
    ax = fig.axes[0]
    image = ax.get_images()[0]
    rgba = image.cmap(image.norm(image.get_array()))  # rows: ξ, columns: α
    assert [matplotlib_color(c) for c in rgba[:, 1]] == [TIE_COLOR] * 2
    assert [matplotlib_color(c) for c in rgba[:, 0]] == [PHASE_COLORS["memorization"]] * 2
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["memorization", "tie (runs split evenly)", "split: % of runs in the phase drawn"]
    plt.close(fig)


def matplotlib_color(rgba):
    from matplotlib.colors import to_hex

    return to_hex(rgba)


def test_panel_per_pooled_axis_leaves_only_the_seeds_pooled(tmp_path):
    df = split_table()
    res = write_phase_map(df, tmp_path / "p.png")  # wd and lr make the panels: only the seeds are pooled
    assert res["panel"] == ["lr", "wd"] and res["pooled"] == ["seed"]
    assert res["panels"]["lr=0.001, wd=1"] == {"generalization": 2, "memorization": 2}
    assert res["panels"]["lr=0.01, wd=5"] == {"memorization": 4}
    assert res["split_cells"] == 4 and res["tied_cells"] == 0  # the 2-to-1 cells of lr = 0.001
    even = df[~((df.train_frac == 0.7) & (df.seed == 2))]
    res = write_phase_map(even, tmp_path / "q.png", panel="wd")
    assert res["panels"] == {"wd=1": {"memorization": 2, "tie": 2}, "wd=5": {"memorization": 2, "tie": 2}}
    assert res["tied_cells"] == 4
    csv = pd.read_csv(tmp_path / "q.csv", keep_default_na=False)
    assert csv["tied"].tolist() == ["", "", "memorization = generalization", "memorization = generalization"] * 2
    res = write_metric_map(df, "test_acc", tmp_path / "m.png", panel="wd")
    assert res["pooled"] == ["lr", "seed"]
