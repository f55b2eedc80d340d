"""Which hidden neurons of a two-layer MLP on dense inputs carry the rule and which store the facts.

For tasks without a Fourier structure (the Rules-and-Facts data, images, your own arrays, sparse
parity) each hidden neuron k of W_in (N, n_in), W_out (C, N) gets:

- ``norm_in`` = ‖W_in[k]‖ and ``norm_out`` = ‖W_out[:, k]‖; ``scale`` = their product, the size
  of the neuron's path from the inputs to the outputs (a neuron with either norm 0 does nothing).
- ``alignment`` with the rule, where the task declares where it lives (``Task.rule``, a
  ``tasks.base.RuleDirection``): for RAF the cosine of W_in[k] with the teacher w*
  (``tasks.raf.teacher_of``; the rule is sign(w*·x), so a neuron that computes it points along
  ±w*; a random direction has E|cos| = Γ(d/2) / (√π Γ((d+1)/2)) ≈ √(2/(πd))); for sparse parity
  the share of Σ|W_in[k]| on the k relevant bits (chance k/n).
- ``activity``: the neuron's mean |act(W_in[k]·x + b)| over the training examples (before
  BatchNorm: how strongly it fires), and where that activity comes from:
  ``fact_share`` = the fraction of its summed activity that falls on facts, and
  ``fact_selectivity`` = (m_f − m_c) / (m_f + m_c) with m_f, m_c its mean activity on facts and on
  clean examples: 1 for a neuron that fires only on facts, 0 for one that does not tell them
  apart, −1 for one that fires only on clean examples. Unlike the share it does not depend on how
  many facts there are.
- ``fact_neuron``: selectivity above ``threshold``, the ``FACT_QUANTILE`` quantile of the
  selectivities of all neurons with the fact marks shuffled among the training examples
  (``SHUFFLES`` permutations): with no link between a neuron and the facts about
  (1 − FACT_QUANTILE)·N neurons pass by chance (``expected_by_chance``).

The summary states how many fact neurons there are, how much of the network's scale they carry,
and (with a rule) whether they align with it less than the other neurons.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.tasks import REGISTRY, make_split
from rulesfacts.tasks.base import RuleDirection, Split
from rulesfacts.training.rundir import Run

FACT_QUANTILE = 0.99
SHUFFLES = 20
SHUFFLE_SEED = 0x5E1
CHUNK = 4096  # examples per forward pass
COLUMNS = ("neuron", "norm_in", "norm_out", "scale", "alignment", "activity", "fact_share", "fact_selectivity",
           "fact_neuron")


def rule_direction(cfg: TrainConfig) -> RuleDirection | None:
    """Where ``cfg``'s task declares its rule in input space (``Task.rule``), or None."""
    return REGISTRY[cfg.task].rule


def rule_kind(cfg: TrainConfig) -> str | None:
    """What ``alignment`` measures for ``cfg``'s task ('teacher' for RAF, 'relevant bits' for parity), or None."""
    rule = rule_direction(cfg)
    return rule.kind if rule is not None else None


def rule_axis(cfg: TrainConfig) -> str | None:
    """The alignment's axis label for ``cfg``'s task, or None."""
    rule = rule_direction(cfg)
    return rule.axis if rule is not None else None


def chance_alignment(cfg: TrainConfig) -> float | None:
    """The alignment of a random direction (E|cos| with w* in d dimensions for RAF, k/n for parity)."""
    rule = rule_direction(cfg)
    return float(rule.chance(cfg)) if rule is not None else None


def rule_alignment(cfg: TrainConfig, w_in: np.ndarray) -> np.ndarray | None:
    """Per neuron (row of ``w_in``): its alignment with the task's rule (``Task.rule``: the cosine
    with the teacher for RAF, the share of Σ|w| on the relevant bits for parity), None for a task
    without one. A zero row gives NaN."""
    rule = rule_direction(cfg)
    return rule.alignment(cfg, np.asarray(w_in, dtype=np.float64)) if rule is not None else None


@torch.no_grad()
def hidden_activity(cfg: TrainConfig, weights: dict[str, np.ndarray], split: Split, x: np.ndarray) -> np.ndarray:
    """(n, N) |act(x W_inᵀ + b_in)| of the run's own model (``models.build_model``) on CPU, before
    BatchNorm and without dropout: how strongly each hidden neuron fires on each example."""
    from rulesfacts.models import build_model
    from rulesfacts.models.handwritten import activation

    model = build_model([cfg], split, torch.device("cpu"))
    model.load_member_weights(0, weights)
    model.eval()
    out = []
    for s in range(0, len(x), CHUNK):
        xb = torch.from_numpy(np.ascontiguousarray(x[s:s + CHUNK]))
        xb = xb.float() if xb.is_floating_point() else xb
        out.append(activation(cfg.act, model.hidden_pre(xb[None]))[0].abs().double().numpy())
    return np.concatenate(out) if out else np.zeros((0, np.asarray(weights["W_in"]).shape[0]))


def fact_selectivity(activity: np.ndarray, is_fact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(selectivity, share) per neuron (column of ``activity``, (n, N), non-negative): (m_f − m_c) /
    (m_f + m_c) and Σ_facts / Σ_all. NaN where a neuron never fires or a subset is empty."""
    a = np.asarray(activity, dtype=np.float64)
    f = np.asarray(is_fact, dtype=bool)
    nan = np.full(a.shape[1], np.nan)
    if not f.any() or f.all():
        return nan, nan
    m_f, m_c = a[f].mean(axis=0), a[~f].mean(axis=0)
    total = a.sum(axis=0)
    sel = np.divide(m_f - m_c, m_f + m_c, out=nan.copy(), where=(m_f + m_c) > 0)
    share = np.divide(a[f].sum(axis=0), total, out=nan.copy(), where=total > 0)
    return sel, share


def selectivity_threshold(activity: np.ndarray, is_fact: np.ndarray, shuffles: int = SHUFFLES,
                          quantile: float = FACT_QUANTILE, seed: int = SHUFFLE_SEED) -> float | None:
    """The ``quantile`` of the selectivities of every neuron with the fact marks permuted among the
    examples, pooled over ``shuffles`` permutations (None without both facts and clean examples)."""
    f = np.asarray(is_fact, dtype=bool)
    if not f.any() or f.all():
        return None
    rng = np.random.default_rng(seed)
    null = np.concatenate([fact_selectivity(activity, rng.permutation(f))[0] for _ in range(shuffles)])
    null = null[np.isfinite(null)]
    return float(np.quantile(null, quantile)) if len(null) else None


def dense_neuron_table(cfg: TrainConfig, weights: dict[str, np.ndarray], split: Split | None = None,
                       examples: np.ndarray | None = None) -> pd.DataFrame:
    """One row per hidden neuron (``COLUMNS``; see the module docstring), on the training examples
    of ``split`` (default: ``cfg``'s), or only those at ``examples`` (indices). ``table.attrs``:
    threshold, expected_by_chance, chance_alignment, rule (what alignment measures), rule_axis (its
    label), n_examples."""
    split = split if split is not None else make_split(cfg)
    w_in, w_out = np.asarray(weights["W_in"], np.float64), np.asarray(weights["W_out"], np.float64)
    rows = np.arange(split.n_train) if examples is None else np.asarray(examples)
    activity = hidden_activity(cfg, weights, split, split.x_train[rows])
    is_fact = split.is_fact[rows]
    sel, share = fact_selectivity(activity, is_fact)
    threshold = selectivity_threshold(activity, is_fact)
    norm_in, norm_out = np.linalg.norm(w_in, axis=1), np.linalg.norm(w_out, axis=0)
    align = rule_alignment(cfg, w_in)
    table = pd.DataFrame({
        "neuron": np.arange(len(w_in)), "norm_in": norm_in, "norm_out": norm_out, "scale": norm_in * norm_out,
        "alignment": align if align is not None else np.full(len(w_in), np.nan),
        "activity": activity.mean(axis=0) if len(activity) else np.full(len(w_in), np.nan),
        "fact_share": share, "fact_selectivity": sel,
        "fact_neuron": (sel > threshold) if threshold is not None else np.zeros(len(w_in), bool),
    })
    table.attrs.update({"threshold": threshold, "expected_by_chance": (1 - FACT_QUANTILE) * len(w_in),
                        "chance_alignment": chance_alignment(cfg), "rule": rule_kind(cfg),
                        "rule_axis": rule_axis(cfg),
                        "n_examples": int(len(rows)), "n_facts": int(is_fact.sum())})
    return table


def finite(x: Any) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def dense_summary(table: pd.DataFrame) -> dict[str, Any]:
    """The JSON keys of ``rulesfacts analyze`` for the per-neuron table (None where a number is undefined)."""
    fact = table["fact_neuron"].to_numpy(dtype=bool)
    scale = table["scale"].to_numpy()
    sel = table["fact_selectivity"].to_numpy()
    out: dict[str, Any] = {
        "n_neurons": len(table), "n_examples": table.attrs["n_examples"],
        "n_fact_neurons": int(fact.sum()) if table.attrs["threshold"] is not None else None,
        "fact_neuron_threshold": finite(table.attrs["threshold"]),
        "fact_neurons_expected_by_chance": round(table.attrs["expected_by_chance"], 3),
        "fact_neuron_scale_share": finite(scale[fact].sum() / scale.sum()) if scale.sum() > 0 else None,
        "median_fact_selectivity": finite(np.nanmedian(sel)) if np.isfinite(sel).any() else None,
        "norm_in_total": float(np.sqrt((table["norm_in"] ** 2).sum())),
        "norm_out_total": float(np.sqrt((table["norm_out"] ** 2).sum())),
        "alignment": table.attrs["rule"],
    }
    if table.attrs["rule"] is not None:
        a = np.abs(table["alignment"].to_numpy())
        ok = np.isfinite(a)

        def mean(mask: np.ndarray) -> float | None:
            return finite(a[mask & ok].mean()) if (mask & ok).any() else None

        out |= {"chance_alignment": table.attrs["chance_alignment"],
                "alignment_scale_weighted": finite((a[ok] * scale[ok]).sum() / scale[ok].sum())
                if scale[ok].sum() > 0 else None,
                "alignment_fact_neurons": mean(fact), "alignment_other_neurons": mean(~fact)}
    return out


def analyze_dense(run: Run, out_dir: Path, options: Any = None,
                  advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The ``rulesfacts analyze`` branch of an MLP on dense inputs: the per-neuron table of the final
    weights on every training example; writes neurons.csv and neurons.png into ``out_dir``."""
    from rulesfacts.errors import ConfigError
    from rulesfacts.io import ensure_writable_dir, write_text

    cfg = run.config
    if cfg.model != "mlp":
        raise ConfigError("model", cfg.model, "mlp (per-neuron statistics read W_in and W_out of the hidden layer)")
    table = dense_neuron_table(cfg, run.weights())
    if advance is not None:
        advance(1)
    ensure_writable_dir(out_dir)
    write_text(Path(out_dir) / "neurons.csv", table.to_csv(index=False, float_format="%.6g"))
    plot_dense_neurons(table, Path(out_dir) / "neurons.png", f"{cfg.task}: N={cfg.width} {cfg.act} ξ={cfg.fact_frac}")
    return {"task": cfg.task, "model": cfg.model, "run_dir": str(run.path), "out_dir": str(out_dir),
            **dense_summary(table), "files": ["neurons.csv", "neurons.png", "summary.json"]}


def analyze_parity_neurons(run: Run, out_dir: Path, options: Any = None,
                           advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Sparse parity: the relevant-bit measures (``analysis.parity.analyze_parity``) and, for an
    MLP, the per-neuron table (alignment: each neuron's share of |W_in| on the relevant bits)."""
    from rulesfacts.analysis.parity import analyze_parity

    summary = analyze_parity(run, out_dir, options, advance)
    if run.config.model != "mlp":
        return summary
    dense = analyze_dense(run, out_dir, options)
    keep = {k: v for k, v in dense.items() if k not in ("task", "model", "run_dir", "out_dir", "files")}
    return {**summary, **{("neuron_" + k if k in summary else k): v for k, v in keep.items()},
            "files": summary.get("files", []) + ["neurons.csv", "neurons.png"]}


def plot_dense_neurons(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Two panels: fact selectivity against the neuron's scale (fact neurons in the facts' colour,
    the threshold dashed), and, with a rule, |alignment| against scale (chance dotted)."""
    from rulesfacts.plotting import SUBSET_COLORS, plt, save_figure

    rule = table.attrs["rule"]
    fig, axes = plt.subplots(1, 2 if rule else 1, figsize=(11 if rule else 6, 4), squeeze=False)
    fact = table["fact_neuron"].to_numpy(dtype=bool)
    colors = np.where(fact, SUBSET_COLORS["facts_memorized"], SUBSET_COLORS["clean"])
    ax = axes[0, 0]
    ax.scatter(table["scale"], table["fact_selectivity"], s=10, c=colors)
    if table.attrs["threshold"] is not None:
        ax.axhline(table.attrs["threshold"], color="black", ls="--", lw=1,
                   label=f"threshold {table.attrs['threshold']:.3f} (shuffled facts, {FACT_QUANTILE:.0%})")
        ax.legend(fontsize=7)
    ax.set(xlabel="‖w_in‖·‖w_out‖", ylabel="fact selectivity", xscale="symlog",
           title=f"{int(fact.sum())} fact neurons of {len(table)}")
    if rule:
        ax = axes[0, 1]
        ax.scatter(table["scale"], table["alignment"].abs(), s=10, c=colors)
        ax.axhline(table.attrs["chance_alignment"], color="grey", ls=":", lw=1, label="random direction")
        ax.set(xlabel="‖w_in‖·‖w_out‖", xscale="symlog",
               ylabel=table.attrs["rule_axis"],
               title="alignment with the rule")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
