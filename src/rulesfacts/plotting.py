"""What every figure of the package shares: the non-interactive matplotlib backend, atomic
saving, and one colour per subset, neuron class, weight part and phase, the same in every PNG
and HTML report.

A leaf module (it imports only ``rulesfacts.io``), so the analysis, theory, sweep and report
packages can all draw without importing each other.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rulesfacts.io import save_with  # noqa: E402

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
# The two neuron classes reuse the subset colours of what they carry: the rule (clean) and the facts.
CLASS_COLORS = {"generalizing": SUBSET_COLORS["clean"], "memorizing": SUBSET_COLORS["facts_memorized"]}
# The three weight vectors of a neuron (spectra): from input a, from input b, to the outputs.
PART_COLORS = ("#1f77b4", "#9467bd", "#8c564b")
PART_LABELS = ("from a", "from b", "to outputs")
# One colour per phase (``rulesfacts.sweep.phases.PHASES``) in every diagram; memorization is the
# same colour with and without corrupted labels.
PHASE_COLORS = {
    "coexistence": "#9467bd",
    "partial inversion": "#17becf",
    "full inversion": "#2ca02c",
    "memorization": "#d62728",
    "forgetting": "#7f7f7f",
    "confusion": "#bcbd22",
    "no learning": "#c7c7c7",
    "generalization": "#1f77b4",
    "grokking": "#ff7f0e",
    "diverged": "#000000",
}
TIE_COLOR = "#ffffff"  # a phase-map cell whose runs split evenly between phases (drawn cross-hatched, "tie")

__all__ = ["CLASS_COLORS", "PART_COLORS", "PART_LABELS", "PHASE_COLORS", "SUBSET_COLORS", "SUBSET_LABELS", "TIE_COLOR",
           "plt", "save_figure"]


def save_figure(fig: plt.Figure, path: Path | str, dpi: int = 120) -> Path:
    """Write ``fig`` atomically (format from the suffix) and close it."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    save_with(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi))
    plt.close(fig)
    return path
