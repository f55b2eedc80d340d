"""The data of a run report: curves per subset, weight snapshots, spectra, IPR split, pruning.

Everything is computed here in Python (numpy, the analysis package) and handed to the page as
one JSON object; the browser only draws. So the numbers in a report are the numbers the Python
API gives, and tests can check them without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.config import Choice, Config, Flag, Int, Many, Maybe, param
from rulesfacts.plotting import CLASS_COLORS, PART_COLORS, SUBSET_COLORS, SUBSET_LABELS
from rulesfacts.report import task_views as views
from rulesfacts.report.encode import even_indices, quantize, quantize_unit, rounded, rounded_list
from rulesfacts.report.figures import plot_curves
from rulesfacts.report.memscore_section import memscore_data
from rulesfacts.tasks import describe
from rulesfacts.training.rundir import Run

# (subset key, metrics.csv column) of the accuracy and loss panels; prune_curve's table has the
# same accuracy columns, so the pruning panel uses ACC_CURVES too.
ACC_CURVES = (("train", "train_acc"), ("clean", "clean_acc"), ("facts_memorized", "facts_memorized"),
              ("facts_recovered", "facts_recovered"), ("test", "test_acc"))
LOSS_CURVES = (("train", "train_loss"), ("clean", "clean_loss"), ("facts_memorized", "facts_loss"),
               ("test", "test_loss"))
IPR_BINS = 30
# float16 numbers per neuron and snapshot: norms + the dense statistics (task_views.DENSE_ROWS) + the fact-neuron
# flag (two JSON characters, counted as one half); norms + the 16 cosine-fit rows of a Fourier net
PER_NEURON_HALVES = (7, 18)

@dataclass(frozen=True)
class RunReportOptions(Config):
    """How much of a run goes into its report (the file-size knobs)."""

    max_snapshots: int = param(40, Int(1), "Weight snapshots kept (evenly spaced).")
    max_points: int = param(500, Int(2), "Logged epochs per curve at most.")
    max_neurons: int = param(512, Int(1), "Neurons shown in the heatmaps and spectra at most.")
    heatmap_bytes: int = param(6_000_000, Int(1),
                               "Bytes of the base64 heatmaps and per-neuron numbers of all kept snapshots together.")
    prune_orders: tuple[str, ...] = param(("low", "high"), Many(Choice(("low", "high")), min_len=0),
                                          "Pruning curves drawn: lowest IPR first, highest first.")
    prune_steps: int | None = param(20, Maybe(Int(1), "pruning's default"), "Points per pruning curve.")
    predictions: bool = param(True, Flag(), "The p × p predictions grid at each kept snapshot (modular, p ≤ 255).")


def curve_series(df: pd.DataFrame, pairs: tuple[tuple[str, str], ...], rows: np.ndarray) -> list[dict[str, Any]]:
    """One series per subset present in ``df`` (an all-empty column, e.g. facts at ξ = 0, is left out)."""
    out = []
    for key, col in pairs:
        if col in df and df[col].notna().any():
            label = "facts" if col == "facts_loss" else SUBSET_LABELS[key]
            out.append({"key": key, "label": label, "color": SUBSET_COLORS[key],
                        "y": rounded_list(df[col].to_numpy(dtype=np.float64)[rows])})
    return out


def curves_data(df: pd.DataFrame, max_points: int) -> dict[str, Any]:
    """Accuracy and loss curves, thinned to at most ``max_points`` logged epochs."""
    rows = even_indices(len(df), max_points)
    return {"epoch": [int(e) for e in df["epoch"].to_numpy()[rows]],
            "acc": curve_series(df, ACC_CURVES, rows), "loss": curve_series(df, LOSS_CURVES, rows)}


def norm_curves(df: pd.DataFrame, max_points: int) -> dict[str, Any] | None:
    """The logged squared weight norms (norm_in, norm_out) per epoch, thinned like the curves."""
    cols = [c for c in ("norm_in", "norm_out") if c in df and df[c].notna().any()]
    if not cols:
        return None
    rows = even_indices(len(df), max_points)
    return {"epoch": [int(e) for e in df["epoch"].to_numpy()[rows]],
            "series": [{"key": c, "y": rounded_list(df[c].to_numpy(dtype=np.float64)[rows])} for c in cols]}


def is_fourier_net(run: Run) -> bool:
    """Fourier, IPR and pruning read W_in as (N, 2p) over Z_p: the modular-arithmetic MLP only."""
    return run.config.task == "modular" and run.config.model == "mlp"


def neuron_order(freq: np.ndarray, phase: np.ndarray, generalizing: np.ndarray) -> np.ndarray:
    """Row order of the heatmaps: generalizing neurons first, then by dominant frequency and phase,
    so neurons of one frequency form a band (the view of Gromov 2023, Fig. 2)."""
    return np.lexsort((phase, freq, ~np.asarray(generalizing, dtype=bool))).astype(int)


def spectrum_power(parts: tuple[np.ndarray, ...]) -> list[list[float | None]]:
    """Fraction of the Fourier power at each frequency 0..p//2, summed over neurons, per part."""
    from rulesfacts.analysis.fourier import spectrum

    out = []
    for w in parts:
        power = (spectrum(w, axis=-1) ** 2).sum(axis=0)
        total = power.sum()
        out.append(rounded_list(power / total if total > 0 else power))
    return out


def neuron_spectra(w: np.ndarray) -> dict[str, Any]:
    """Each neuron's |rfft| over its p weights, normalised to unit length (the vector whose
    IPR is taken, references.md §1), as an 8-bit image: a rule neuron is one bright spike."""
    from rulesfacts.analysis.fourier import spectrum

    s = spectrum(w, axis=-1)
    norm = np.sqrt((s**2).sum(axis=1, keepdims=True))
    return quantize_unit(np.divide(s, norm, out=np.zeros_like(s), where=norm > 0))


def ipr_histogram(ipr: np.ndarray, generalizing: np.ndarray, edges: np.ndarray) -> dict[str, list[int]]:
    """Neuron counts per IPR bin, split by class (NaN IPRs, e.g. all-zero neurons, are left out)."""
    ok = np.isfinite(ipr)
    clipped = np.clip(ipr, edges[0], edges[-1])
    gen = np.histogram(clipped[ok & generalizing], bins=edges)[0]
    mem = np.histogram(clipped[ok & ~generalizing], bins=edges)[0]
    return {"generalizing": gen.astype(int).tolist(), "memorizing": mem.astype(int).tolist()}


def select_neurons(final: dict[str, np.ndarray], max_neurons: int) -> np.ndarray:
    """Neurons shown in the heatmaps: all of them, or the ``max_neurons`` with the largest final
    weight norm (the ones that matter for the output) when the layer is wider."""
    w_in, w_out = final["W_in"], final["W_out"]
    n = w_in.shape[0]
    if n <= max_neurons:
        return np.arange(n)
    norm = (w_in.astype(np.float64) ** 2).sum(1) + (w_out.astype(np.float64) ** 2).sum(0)
    return np.sort(np.argsort(-norm, kind="stable")[:max_neurons])


def max_frames(opts: RunReportOptions, n_neurons: int, final: dict[str, np.ndarray], spectrum_cols: int = 0) -> int:
    """Snapshots that fit the heatmap byte budget (≥ 2: the first and the last step); the
    per-neuron spectra add ``spectrum_cols`` bytes per neuron, the per-neuron numbers
    (``PER_NEURON_HALVES`` float16 values: norms and the dense statistics, or the cosine fits of a
    Fourier net) 2 bytes each."""
    halves = PER_NEURON_HALVES[1] if spectrum_cols else PER_NEURON_HALVES[0]
    cols = final["W_in"].shape[1] + final["W_out"].shape[0] + spectrum_cols + 2 * halves
    per_frame = 4 / 3 * n_neurons * cols  # one byte per weight, base64
    return int(max(2, min(opts.max_snapshots, opts.heatmap_bytes // per_frame)))


def opening_frame(metrics: pd.DataFrame, epochs: list[int]) -> int:
    """The snapshot a run page opens on: the first one at or after the epoch where test accuracy
    first gets halfway from its first logged value to its best (the moment the rule appears),
    when it rises by at least 0.1; else the last snapshot."""
    if "test_acc" not in metrics or metrics["test_acc"].notna().sum() < 2 or not epochs:
        return max(0, len(epochs) - 1)
    acc = metrics["test_acc"].to_numpy(dtype=np.float64)
    ok = np.isfinite(acc)
    first, best = acc[ok][0], acc[ok].max()
    if best - first < 0.1:
        return len(epochs) - 1
    epoch = int(metrics["epoch"].to_numpy()[ok][np.argmax(acc[ok] >= first + (best - first) / 2)])
    return int(min(np.searchsorted(np.asarray(epochs), epoch), len(epochs) - 1))


def snapshot_data(run: Run, final: dict[str, np.ndarray] | None, opts: RunReportOptions,
                  tick: Callable[[], None] | None = None) -> dict[str, Any] | None:
    """Heatmaps (8-bit) and per-neuron statistics at each kept snapshot (``final``: the run's
    weights.npz, None while it is unfinished), plus the views of the run's task
    (``report.task_views``): spectra, IPR, neuron fits, star plot and predictions for modular
    arithmetic; bit masses for parity."""
    epochs = run.snapshot_epochs()
    if final is None and not epochs:
        return None
    final = final if final is not None else run.snapshot(epochs[-1])
    if "W_in" not in final or "W_out" not in final or np.ndim(final["W_in"]) != 2:
        return None
    cfg = run.config
    neurons = select_neurons(final, opts.max_neurons)
    fourier = is_fourier_net(run)
    view = views.view_kind(cfg.task)
    p = cfg.p
    budget = max_frames(opts, len(neurons), final, p // 2 + 1 if fourier else 0)
    kept = [epochs[i] for i in even_indices(len(epochs), budget)]
    snaps = [(e, run.snapshot(e)) for e in kept] or [(int(run.metrics["epoch"].iloc[-1]), final)]
    out: dict[str, Any] = {"epochs": [int(e) for e, _ in snaps], "neurons": int(len(neurons)),
                           "neuron_ids": neurons.astype(int).tolist(), "view": view,
                           "width": int(final["W_in"].shape[0]), "fourier": fourier, "frames": [],
                           "start": opening_frame(run.metrics, [e for e, _ in snaps])}
    if fourier:
        from rulesfacts.analysis.fourier import frequency_histogram
        from rulesfacts.analysis.neurons import neuron_table, reference_threshold

        final_table = neuron_table(final, p)
        threshold = float(final_table.attrs["ipr_threshold"])
        tables = [neuron_table(w, p, threshold=threshold) for _, w in snaps]
        lo = min((float(np.nanmin(t["ipr"])) for t in tables if t["ipr"].notna().any()), default=0.01)
        edges = np.geomspace(min(lo, reference_threshold(p) ** 2) * 0.95, 1.0, IPR_BINS + 1)
        gen_final = final_table["label"].to_numpy()[neurons] == "generalizing"
        freq_final = final_table["freq_a"].to_numpy()[neurons]
        final_order = neuron_order(freq_final, final_table["phase_a"].to_numpy()[neurons], gen_final)
        star_freqs = views.star_frequencies(freq_final, gen_final)
        star_sets = {k: views.star_members(freq_final, gen_final, k) for k in star_freqs}
        out |= {"p": p, "ipr_threshold": rounded(threshold), "ipr_edges": rounded_list(edges),
                "final_order": final_order.tolist(), "final_freq": freq_final[final_order].astype(int).tolist(),
                "final_generalizing": gen_final.astype(int).tolist(), "star_freqs": star_freqs,
                "star_neurons": {str(k): {"n": int(m.sum()), "generalizing": bool((m & gen_final).sum() == m.sum())}
                                 for k, m in star_sets.items()}}
    elif view == "parity":
        out["parity"] = views.parity_static(cfg)
    dense = views.dense_static(cfg) if not fourier and cfg.model == "mlp" else None
    if dense is not None:
        out["dense"] = {k: v for k, v in dense.items() if k not in ("split", "rows")}
    for (epoch, w), table in zip(snaps, tables if fourier else [None] * len(snaps), strict=True):
        w_in, w_out = np.asarray(w["W_in"])[neurons], np.asarray(w["W_out"])[:, neurons]
        frame: dict[str, Any] = {"epoch": int(epoch), "W_in": quantize(w_in), "W_out": quantize(w_out.T),
                                 "norms": views.neuron_norms(w_in, w_out)}
        if fourier:
            t = table.iloc[neurons]
            gen = t["label"].to_numpy() == "generalizing"
            ipr = t["ipr"].to_numpy(dtype=np.float64)
            parts = (w_in[:, :p], w_in[:, p:], w_out.T)
            part_ipr = tuple(t[c].to_numpy(dtype=np.float64) for c in ("ipr_a", "ipr_b", "ipr_out"))
            frame |= {"spectrum": spectrum_power(parts), "spectrum_rows": neuron_spectra(w_in[:, :p]),
                      "spectrum_gen": spectrum_power(tuple(w[gen] for w in parts)) if gen.any() else None,
                      "spectrum_shuffled": spectrum_power(tuple(views.shuffled_columns(w) for w in parts)),
                      "freq_counts": frequency_histogram(t["freq_a"].to_numpy()[gen], p).astype(int).tolist(),
                      "ipr_hist": ipr_histogram(ipr, gen, edges), "generalizing": gen.astype(int).tolist(),
                      "n_generalizing": int(gen.sum()), "n_memorizing": int((~gen).sum()),
                      "order": neuron_order(t["freq_a"].to_numpy(), t["phase_a"].to_numpy(), gen).tolist(),
                      "fits": views.neuron_fits(parts, ipr, part_ipr),
                      "star": views.star_frame(w_in[:, :p], star_sets)}
        elif view == "parity" and w_in.shape[1] == cfg.n_bits:
            frame |= views.parity_frame(w_in, out["parity"]["subset"])
        if dense is not None and dense["split"] is not None:
            frame |= views.dense_frame(cfg, w, dense, neurons)
        out["frames"].append(frame)
        if tick:
            tick()
    if opts.predictions and cfg.task == "modular":
        out["predictions"] = views.prediction_grid(cfg, [w for _, w in snaps])
    return out


def prune_data(run: Run, weights: dict[str, np.ndarray] | None, opts: RunReportOptions,
               tick: Callable[[], None] | None = None) -> dict[str, Any] | None:
    """The final network's pruning curves (``analysis.prune.prune_curve``), one per order."""
    if not is_fourier_net(run) or not opts.prune_orders or weights is None:
        return None
    try:
        from rulesfacts.analysis.prune import prune_curve
    except ImportError:  # the analysis package predates pruning: the panel says so
        return None
    curves = {}
    for order in opts.prune_orders:
        df = prune_curve(run.config, weights, order=order, steps=opts.prune_steps)
        rows = np.arange(len(df))
        curves[order] = {"n_pruned": [int(v) for v in df["n_pruned"]], "series": curve_series(df, ACC_CURVES, rows)}
        if tick:
            tick()
    return {"width": int(weights["W_in"].shape[0]), "curves": curves}


def config_line(run: Run) -> str:
    """The fields of the run's config that mean something for its task, as one line."""
    return views.config_line(run.config)


def run_report_data(run: Run, opts: RunReportOptions | None = None,
                    tick: Callable[[], None] | None = None) -> dict[str, Any]:
    """Everything the run page shows, as one JSON-ready dict (``tick``: once per snapshot and
    per pruning curve, for a progress bar)."""
    opts = opts or RunReportOptions()
    weights = run.weights() if (run.path / "weights.npz").is_file() else None  # read once, used twice
    summary = {k: (rounded(v) if isinstance(v, float) else v) for k, v in run.summary.items()
               if isinstance(v, (int, float, str)) or v is None}
    return {"kind": "run", "title": f"rulesfacts run: {run.path.name}", "config_line": config_line(run),
            "config": run.config.to_dict(), "summary": summary, "curves": curves_data(run.metrics, opts.max_points),
            "snapshots": snapshot_data(run, weights, opts, tick), "prune": prune_data(run, weights, opts, tick),
            "help": views.help_texts(run.config), "task": run.config.task,
            "view": views.view_kind(run.config.task), "header": [[k, v] for k, v in views.header_fields(run.config)],
            "norms": norm_curves(run.metrics, opts.max_points), "part_colors": list(PART_COLORS),
            "class_colors": CLASS_COLORS,
            "subset_colors": {"clean": SUBSET_COLORS["clean"], "fact": SUBSET_COLORS["facts_memorized"],
                              "test": SUBSET_COLORS["test"]},
            "memscore": memscore_data(run.path, run.config)}


def run_title(c) -> str:
    """A one-line description of a run's config for figure titles."""
    data = f"{c.op} mod {c.p} α={c.train_frac}" if c.task == "modular" else describe(c)
    model = views.model_line(c)
    regs = ", ".join(f"{k}={getattr(c, k):g}" for k in ("wd", "l1", "l2", "dropout") if getattr(c, k))
    bn = ", BatchNorm" if c.batchnorm else ""
    return f"{data} ξ={c.fact_frac} · {model} · {regs or 'no regularization'}{bn}"


def plot_run_curves(run: Run, path: Path) -> Path:
    """Accuracy and loss per subset vs epoch, for every logged epoch: the report's curves panel
    (``report.figures.plot_curves``) drawn straight from a run folder (its curves.png)."""
    data = {"curves": curves_data(run.metrics, len(run.metrics)), "config_line": run_title(run.config)}
    return plot_curves(data, path)
