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
    """Accuracy and loss per subset vs epoch."""
    df = run.metrics
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for key, col in (("train", "train_acc"), ("clean", "clean_acc"), ("facts_memorized", "facts_memorized"),
                     ("facts_recovered", "facts_recovered"), ("test", "test_acc")):
        if col in df and df[col].notna().any():
            ax_acc.plot(df["epoch"], df[col], color=SUBSET_COLORS[key], label=SUBSET_LABELS[key])
    for key, col in (("train", "train_loss"), ("clean", "clean_loss"), ("facts_memorized", "facts_loss"),
                     ("test", "test_loss")):
        if col in df and df[col].notna().any():
            ax_loss.plot(df["epoch"], df[col], color=SUBSET_COLORS[key],
                         label="facts" if key == "facts_memorized" else SUBSET_LABELS[key])
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(-0.02, 1.02), title="accuracy per subset")
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss per subset")
    ax_acc.legend(fontsize=8)
    ax_loss.legend(fontsize=8)
    fig.suptitle(run_title(run.config), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


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
