"""Static figures (matplotlib) with one colour per subset, shared by every plot and report."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rulesfacts.io import save_with  # noqa: E402
from rulesfacts.train.rundir import Run  # noqa: E402

# One colour per subset everywhere (PNG and HTML reports).
SUBSET_COLORS = {
    "train": "#444444",
    "clean": "#1f77b4",
    "facts_memorized": "#d62728",
    "facts_recovered": "#2ca02c",
    "test": "#ff7f0e",
}
SUBSET_LABELS = {
    "train": "all train", "clean": "clean train", "facts_memorized": "facts memorized",
    "facts_recovered": "facts recovered", "test": "test",
}


def plot_run_curves(run: Run, path: Path) -> Path:
    """Accuracy and loss per subset vs epoch, for every logged epoch: the report's curves panel
    (``report.figures.plot_curves``) drawn straight from a run folder."""
    from rulesfacts.report.figures import plot_curves
    from rulesfacts.report.run_report import curves_data

    data = {"curves": curves_data(run.metrics, len(run.metrics)), "config_line": run_title(run.config)}
    return plot_curves(data, path)


def run_title(c) -> str:
    """A one-line description of a run's config for figure titles."""
    data = (f"parity n={c.n_bits} k={c.k} n_train={c.n_train}" if c.task == "parity"
            else f"{c.op} mod {c.p} α={c.train_frac}")
    model = f"transformer d={c.d_model}" if c.model == "transformer" else f"MLP N={c.width} {c.act}"
    regs = ", ".join(f"{k}={getattr(c, k):g}" for k in ("wd", "l1", "l2", "dropout") if getattr(c, k))
    bn = ", BatchNorm" if c.batchnorm else ""
    return f"{data} ξ={c.corrupt} · {model} · {regs or 'no regularization'}{bn}"


def save_figure(fig: plt.Figure, path: Path, dpi: int = 120) -> Path:
    """Write ``fig`` atomically (format from the suffix) and close it."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    save_with(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi))
    plt.close(fig)
    return path
