"""Static (matplotlib) versions of the HTML reports' figures, for papers.

Each function draws from the same data dict the HTML page inlines (``run_report_data``,
``sweep_report_data``, ``theory_report_data``), so a PNG/SVG and the interactive view show the
same numbers in the same colours. The phase map is drawn by ``sweep.diagrams.plot_phase_diagram``,
the one that ``rulesfacts phase`` uses.

Colours and saving come from ``rulesfacts.plotting``; of the report package this module imports
only ``encode``, so ``run_report`` and ``sweep_report`` can use it without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.plotting import CLASS_COLORS, PART_COLORS, PART_LABELS, plt, save_figure
from rulesfacts.report.encode import dequantize, dequantize_unit

DIVERGING = "RdBu_r"


def _series(ax: Any, x: list, series: list[dict[str, Any]], **kw: Any) -> None:
    for s in series:
        y = np.array([np.nan if v is None else v for v in s["y"]], dtype=float)
        ax.plot(x, y, color=s["color"], label=s["label"], **kw)


def plot_curves(data: dict[str, Any], path: Path) -> Path:
    """Accuracy and loss per subset vs epoch (the run page's top panel)."""
    c = data["curves"]
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 3.8))
    _series(ax_acc, c["epoch"], c["acc"])
    _series(ax_loss, c["epoch"], c["loss"])
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(-0.02, 1.02), title="accuracy per subset")
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss per subset")
    ax_acc.legend(fontsize=8)
    ax_loss.legend(fontsize=8)
    fig.suptitle(data["config_line"], fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def snapshot_matrices(data: dict[str, Any], frame: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    """The heatmap blocks of one snapshot, rows in the final-frequency order of the page."""
    snaps = data["snapshots"]
    w_in, w_out = dequantize(frame["W_in"]), dequantize(frame["W_out"])
    order = snaps.get("final_order")
    if order is not None:
        w_in, w_out = w_in[order], w_out[order]
    if snaps["fourier"]:
        p = snaps["p"]
        return [("from a", w_in[:, :p]), ("from b", w_in[:, p:]), ("to outputs", w_out)]
    return [("W_in", w_in), ("W_out (transposed)", w_out)]


def plot_weight_heatmaps(data: dict[str, Any], path: Path, n_frames: int = 3) -> Path:
    """Hidden-layer weights at a few snapshots (rows) side by side (columns: a, b, outputs)."""
    frames = data["snapshots"]["frames"]
    picks = sorted({int(round(i)) for i in np.linspace(0, len(frames) - 1, min(n_frames, len(frames)))})
    blocks = [snapshot_matrices(data, frames[i]) for i in picks]
    fig, axes = plt.subplots(len(picks), len(blocks[0]), figsize=(3.2 * len(blocks[0]), 2.8 * len(picks)),
                             squeeze=False)
    for r, (i, mats) in enumerate(zip(picks, blocks, strict=True)):
        for c, (name, m) in enumerate(mats):
            lim = float(np.percentile(np.abs(m), 99)) or 1.0  # as the page: saturate at the 99th percentile
            axes[r, c].imshow(m, aspect="auto", cmap=DIVERGING, vmin=-lim, vmax=lim, interpolation="nearest")
            axes[r, c].set(xticks=[], yticks=[], title=f"{name}, epoch {frames[i]['epoch']}")
        axes[r, 0].set_ylabel("neurons (by frequency)")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_spectrum(data: dict[str, Any], path: Path) -> Path:
    """Summed Fourier power per frequency at the first and last snapshots, and the last
    snapshot's per-neuron spectra (rows in the page's final-frequency order)."""
    snaps = data["snapshots"]
    frames = snaps["frames"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6), gridspec_kw={"width_ratios": [1, 1, 0.8]})
    for ax, f in zip(axes[:2], (frames[0], frames[-1]), strict=True):
        k = np.arange(len(f["spectrum"][0]))
        for j, (col, label) in enumerate(zip(PART_COLORS, PART_LABELS, strict=True)):
            ax.bar(k - 0.3 + 0.3 * j, [v or 0 for v in f["spectrum"][j]], width=0.3, color=col, label=label)
        ax.set(xlabel="frequency k", title=f"summed over neurons, epoch {f['epoch']}")
    axes[0].set_ylabel("fraction of power")
    axes[1].legend(fontsize=8)
    image = dequantize_unit(frames[-1]["spectrum_rows"])
    axes[2].imshow(image[snaps["final_order"]], aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    axes[2].set(xlabel="frequency k (weights from a)", ylabel="neurons (by frequency)",
                title=f"per neuron, epoch {frames[-1]['epoch']}", yticks=[])
    fig.tight_layout()
    return save_figure(fig, path)


def plot_ipr_histogram(data: dict[str, Any], path: Path) -> Path:
    """IPR of the final snapshot's neurons, stacked by class, with the threshold."""
    snaps = data["snapshots"]
    f, edges = snaps["frames"][-1], np.array(snaps["ipr_edges"])
    mem, gen = np.array(f["ipr_hist"]["memorizing"]), np.array(f["ipr_hist"]["generalizing"])
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    widths = np.diff(edges)
    ax.bar(edges[:-1], mem, width=widths, align="edge", color=CLASS_COLORS["memorizing"], label="memorizing")
    ax.bar(edges[:-1], gen, width=widths, align="edge", bottom=mem, color=CLASS_COLORS["generalizing"],
           label="generalizing")
    ax.axvline(snaps["ipr_threshold"], color="k", ls="--", lw=1)
    ax.set(xscale="log", xlabel="IPR (1 = pure cosine)", ylabel="neurons",
           title=f"epoch {f['epoch']}: {f['n_generalizing']} generalizing, {f['n_memorizing']} memorizing")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_prune(data: dict[str, Any], path: Path) -> Path:
    """Accuracy per subset vs neurons pruned, one panel per pruning order."""
    curves = data["prune"]["curves"]
    fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 3.4), squeeze=False, sharey=True)
    for ax, (order, cur) in zip(axes[0], curves.items(), strict=True):
        _series(ax, cur["n_pruned"], cur["series"], marker=".")
        ax.set(xlabel=f"neurons pruned (of {data['prune']['width']})", ylim=(-0.02, 1.02),
               title=f"{'lowest' if order == 'low' else 'highest'} IPR first")
    axes[0, 0].set_ylabel("accuracy")
    axes[0, -1].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def sweep_cells(data: dict[str, Any]) -> pd.DataFrame:
    """The cells of a sweep report's data as the table ``sweep.diagrams.phase_cells`` made them
    (panel fields, x, y, phase, agreement, tied, n_runs, metric means; pooled fields), ready for its
    ``plot_phase_diagram``: the static figure draws the very cells the page shows."""
    x, y = data["x"]["name"], data["y"]["name"]
    rows = [{**panel["values"], x: data["x"]["values"][c["xi"]], y: data["y"]["values"][c["yi"]],
             **{k: v for k, v in c.items() if k not in ("xi", "yi", "runs")}}
            for panel in data["panels"] for c in panel["cells"]]
    cells = pd.DataFrame(rows)
    cells.attrs.update(x=x, y=y, panels=list(data["panel_fields"]), pooled=list(data.get("pooled", [])))
    return cells


def plot_theory(data: dict[str, Any], path: Path, eps_index: int = 0) -> Path:
    """E_gen (left) and E_mem (right) vs α, one line per λ (light to dark = small to large λ)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharex=True)
    shades = np.linspace(0.35, 1.0, len(data["lam"]))
    for j, lam in enumerate(data["lam"]):
        cur = data["curves"][eps_index][j]
        for ax, key in zip(axes, ("e_gen", "e_mem"), strict=True):
            y = np.array([np.nan if v is None else v for v in cur[key]], dtype=float)
            ax.plot(data["alpha"], y, color=data["colors"][key], alpha=float(shades[j]), label=f"λ={lam:g}")
    axes[0].set(xscale="log", xlabel="α = n/d", ylabel="E_gen", title="generalization error (rule)")
    axes[1].set(xscale="log", xlabel="α = n/d", ylabel="E_mem", title="facts not memorized")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"{data['title']}  ε={data['eps'][eps_index]:g}", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def write_figures(data: dict[str, Any], folder: Path, fmt: str = "png") -> list[Path]:
    """Every static figure of a report's data into ``folder`` (named <kind>-<figure>.<fmt>)."""
    folder = Path(folder)
    kind = data["kind"]

    def out(name: str) -> Path:
        return folder / f"{kind}-{name}.{fmt}"

    paths = []
    if kind == "run":
        paths.append(plot_curves(data, out("curves")))
        snaps = data.get("snapshots")
        if snaps:
            paths.append(plot_weight_heatmaps(data, out("weights")))
            if snaps["fourier"]:
                paths += [plot_spectrum(data, out("spectrum")), plot_ipr_histogram(data, out("ipr"))]
        if data.get("prune"):
            paths.append(plot_prune(data, out("prune")))
    elif kind == "sweep":
        from rulesfacts.sweep.diagrams import plot_phase_diagram

        cells = sweep_cells(data)
        paths.append(plot_phase_diagram(cells, out("phases"), title=data["title"]))
        if "test_acc" in data["metrics"]:
            paths.append(plot_phase_diagram(cells, out("test_acc"), "test_acc", title=data["title"]))
    else:
        paths += [plot_theory(data, out(f"curves-eps{i}"), i) for i in range(len(data["eps"]))]
    return paths
