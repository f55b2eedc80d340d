"""Which training examples a network memorizes: the memorization score of Feldman & Zhang (2020).

mem(i) = P[f(x_i) = y_i | i in the training set] − P[f(x_i) = y_i | i held out],

estimated as they do from an ensemble trained on random subsets: member m trains on a subset S_m
of exactly round(keep·n) examples drawn at random (keep = 1/2: each example is held out by about
half of the members), and for each example the two probabilities are the accuracies of the
members that had it and of those that did not. All members train in one batched computation
(``training.Trainer`` with one ``Split`` per member); the network, the optimizer and everything
else are the run's config. The standard error of a score is that of a difference of two binomial
means, √(p_in(1 − p_in)/(k_in − 1) + p_out(1 − p_out)/(k_out − 1)) with the sample proportions.

With known facts (the corrupted labels of a task) the score is checked as a detector: ROC AUC of
score vs is_fact (the probability that a random fact scores above a random clean example, ties
counting one half), and the precision among the n_facts top-scored examples.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import describe, make_split
from rulesfacts.tasks.base import Split
from rulesfacts.training.callbacks import Callback, ProgressBar
from rulesfacts.training.trainer import Trainer

TABLE_COLUMNS = ("index", "score", "se", "acc_in", "acc_out", "k_in", "k_out", "is_fact", "label", "true_label")


@dataclass
class MemScores:
    """Per-example scores (``table``, one row per training example) and what they find."""

    table: pd.DataFrame
    n_facts: int
    members: int
    keep: float
    roc_auc: float | None
    precision_at_facts: float | None
    seconds: float
    train_seconds_single: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON summary (``rulesfacts memscore --json``)."""
        t = self.table
        facts, clean = t[t.is_fact], t[~t.is_fact]

        def mean(col: pd.Series) -> float | None:
            return float(col.mean()) if len(col) else None

        single = self.train_seconds_single
        return {"n_train": int(len(t)), "n_facts": self.n_facts,
                "n_unscored": int((~np.isfinite(t.score)).sum()),  # never held out, or never trained on
                "members": self.members, "keep": self.keep,
                "roc_auc": self.roc_auc, "precision_at_facts": self.precision_at_facts,
                "mean_score_facts": mean(facts.score), "mean_score_clean": mean(clean.score),
                "mean_se": mean(t.se), "seconds": round(self.seconds, 3),
                "train_seconds_single": None if single is None else round(single, 3),
                "cost_vs_single": None if not single else round(self.seconds / single, 2), **self.extra}


def subset_masks(n: int, members: int, keep: float, seed: int) -> np.ndarray:
    """(members, n) bool: member m trains on exactly round(keep·n) examples drawn at random."""
    k = int(round(keep * n))
    if not 1 <= k < n:
        raise ConfigError("keep", keep, f"a fraction leaving ≥ 1 example in and ≥ 1 out of the {n}")
    rng = np.random.default_rng([seed, 0x3E3])
    masks = np.zeros((members, n), dtype=bool)
    for m in range(members):
        masks[m, rng.permutation(n)[:k]] = True
    return masks


def subset_split(full: Split, mask: np.ndarray) -> Split:
    """The task's split with only the masked training examples (same test set)."""
    return Split(x_train=full.x_train[mask], y_train=full.y_train[mask], y_train_true=full.y_train_true[mask],
                 is_fact=full.is_fact[mask], x_test=full.x_test, y_test=full.y_test, n_classes=full.n_classes,
                 vocab=full.vocab)


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """P(score of a random positive > that of a random negative) + ½ P(tie) (Mann–Whitney U / n₊n₋),
    from the average ranks; None without both classes."""
    from scipy.stats import rankdata

    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_at(score: np.ndarray, positive: np.ndarray, k: int) -> float | None:
    """Fraction of positives among the k top-scored examples, ties at the k-th score broken at
    random and averaged: examples above that score count fully, the tied ones in proportion (so an
    order of the examples, e.g. facts first, cannot help)."""
    if k <= 0:
        return None
    score, pos = np.asarray(score, dtype=float), np.asarray(positive, dtype=bool)
    kth = np.sort(score)[::-1][min(k, len(score)) - 1]
    above, tied = score > kth, score == kth
    hits = pos[above].sum() + (k - above.sum()) * pos[tied].mean()
    return float(hits / k)


@torch.no_grad()
def member_correct(trainer: Trainer, full: Split) -> np.ndarray:
    """(members, n) bool: each member's prediction on every training example equals its label."""
    model, m = trainer.model, len(trainer.cfgs)
    model.eval()
    x = torch.from_numpy(full.x_train).to(trainer.device)
    x = x.float() if x.dtype == torch.float64 else x
    y = torch.from_numpy(full.y_train).to(trainer.device)
    out = []
    chunk = max(1, 2**22 // max(1, m * full.n_classes))
    for s in range(0, full.n_train, chunk):
        xb = x[s:s + chunk].unsqueeze(0).expand(m, *x[s:s + chunk].shape).contiguous()
        with trainer.autocast():
            pred = model(xb).float().max(-1).indices
        out.append((pred == y[s:s + chunk]).cpu().numpy())
    return np.concatenate(out, axis=1)


def memorization_scores(cfg: TrainConfig, members: int = 16, keep: float = 0.5, seed: int = 0,
                        progress: bool = True, single: bool = True,
                        callbacks: Sequence[Callback] = ()) -> MemScores:
    """Memorization score of every training example of ``cfg``'s task, trained as ``cfg`` says.

    ``members`` networks (seeds cfg.seed, cfg.seed + 1, ...; all on the data of cfg's data seed)
    each train on a random ``keep`` fraction of the training set (``seed`` draws the subsets).
    ``single``: also train one network on the whole set and time it (``train_seconds_single``),
    so the cost reads as a multiple of one training run. ``callbacks``: more hooks on the members'
    training (e.g. scoring at every log epoch; the subsets are ``subset_masks(n, members, keep, seed)``)."""
    if members < 2:
        raise ConfigError("members", members, "an integer ≥ 2 (each example needs members with and without it)")
    t0 = time.perf_counter()
    full = make_split(cfg)
    masks = subset_masks(full.n_train, members, keep, seed)
    cfgs = [cfg.replace(seed=cfg.seed + m, data_seed=cfg.effective_data_seed) for m in range(members)]
    trainer = Trainer(cfgs, splits=[subset_split(full, mask) for mask in masks],
                      callbacks=[*([ProgressBar()] if progress else []), *callbacks])
    trainer.fit()
    correct = member_correct(trainer, full)
    seconds = time.perf_counter() - t0
    single_seconds = None
    if single:
        t1 = time.perf_counter()
        Trainer([cfg], callbacks=[ProgressBar()] if progress else []).fit()
        single_seconds = time.perf_counter() - t1
    k_in, k_out = masks.sum(0), (~masks).sum(0)
    acc_in = np.where(k_in > 0, (correct & masks).sum(0) / np.maximum(k_in, 1), np.nan)
    acc_out = np.where(k_out > 0, (correct & ~masks).sum(0) / np.maximum(k_out, 1), np.nan)
    var = (acc_in * (1 - acc_in) / np.maximum(k_in - 1, 1)) + (acc_out * (1 - acc_out) / np.maximum(k_out - 1, 1))
    score = acc_in - acc_out
    table = pd.DataFrame({"index": np.arange(full.n_train), "score": score, "se": np.sqrt(var), "acc_in": acc_in,
                          "acc_out": acc_out, "k_in": k_in, "k_out": k_out, "is_fact": full.is_fact,
                          "label": full.y_train, "true_label": full.y_train_true})
    n_facts = int(full.is_fact.sum())
    usable = np.isfinite(score)
    auc = roc_auc(score[usable], full.is_fact[usable]) if n_facts else None
    prec = precision_at(np.where(usable, score, -np.inf), full.is_fact, n_facts) if n_facts else None
    return MemScores(table, n_facts, members, keep, auc, prec, seconds, single_seconds)


# -- the files: table, histogram, drawn examples ---------------------------------------------------
TABLE, HISTOGRAM, TOP, SUMMARY_FILE = "memscores.csv", "memscore-hist.png", "memscore-top.png", "memscore.json"


def write_outputs(result: MemScores, cfg: TrainConfig, out_dir: Any, top: int = 64) -> dict[str, str]:
    """Write the table (CSV), the histogram by subset, the top-scored examples drawn where the task
    has a picture of them (the (a, b) cells of modular arithmetic), and memscore.json (the summary
    and the histogram's counts: the data block of the report section). Returns the paths."""
    from pathlib import Path

    from rulesfacts.io import ensure_writable_dir, write_json, write_text

    out = ensure_writable_dir(Path(out_dir))
    write_text(out / TABLE, result.table.to_csv(index=False, float_format="%.6g"))
    files = {"table": str(out / TABLE), "histogram": str(plot_histogram(result, out / HISTOGRAM))}
    if cfg.task == "modular":
        files["top"] = str(plot_modular_cells(result, cfg, out / TOP, top))
    elif examples := top_examples(result, cfg, top):  # [] for a task without pictures
        files["top"] = str(plot_top_examples(examples, cfg, out / TOP))
    write_json(out / SUMMARY_FILE, {**result.summary(), "histogram": histogram_data(result), "files": files})
    return files


def histogram_data(result: MemScores, bins: int = 21) -> dict[str, Any]:
    """Counts of the scores per subset on fixed bins over [−1, 1] (what the report draws)."""
    edges = np.linspace(-1, 1, bins + 1)
    t = result.table[np.isfinite(result.table.score)]
    return {"edges": [float(e) for e in edges],
            "clean": np.histogram(t.score[~t.is_fact], edges)[0].tolist(),
            "facts": np.histogram(t.score[t.is_fact], edges)[0].tolist()}


def plot_histogram(result: MemScores, path: Any) -> Any:
    from rulesfacts.plotting import SUBSET_COLORS, plt, save_figure

    h = histogram_data(result)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    centers = (np.array(h["edges"][1:]) + np.array(h["edges"][:-1])) / 2
    width = h["edges"][1] - h["edges"][0]
    ax.bar(centers, h["clean"], width=width, color=SUBSET_COLORS["clean"], alpha=0.7, label="clean examples")
    ax.bar(centers, h["facts"], width=width, color=SUBSET_COLORS["facts_memorized"], alpha=0.7, label="facts")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("memorization score (acc trained on − acc held out)")
    ax.set_ylabel("examples")
    auc = result.roc_auc
    ax.set_title(f"{result.members} members, keep {result.keep:g}" + (f", ROC AUC {auc:.3f}" if auc else ""))
    ax.legend()
    return save_figure(fig, path)


def plot_modular_cells(result: MemScores, cfg: TrainConfig, path: Any, top: int) -> Any:
    """The (a, b) grid: each training pair coloured by its score, the ``top`` highest outlined, facts
    marked with a dot: where the memorized pairs sit in the table of a ∘ b mod p."""
    from rulesfacts.plotting import plt, save_figure

    full = make_split(cfg)
    a, b = full.x_train[:, 0], full.x_train[:, 1] - cfg.p
    grid = np.full((cfg.p, cfg.p), np.nan)
    grid[a, b] = result.table.score.to_numpy()
    fig, ax = plt.subplots(figsize=(6.5, 6))
    im = ax.imshow(grid, cmap="magma", vmin=-1, vmax=1, origin="lower", interpolation="nearest")
    facts = full.is_fact
    ax.scatter(b[facts], a[facts], s=2, c="cyan", label="facts")
    best = np.argsort(-np.nan_to_num(result.table.score.to_numpy(), nan=-2), kind="stable")[:top]
    ax.scatter(b[best], a[best], s=30, facecolors="none", edgecolors="lime", linewidths=0.8,
               label=f"top {len(best)} scores")
    ax.set_xlabel("b")
    ax.set_ylabel("a")
    ax.set_title(f"memorization score of each training pair (a, b), p = {cfg.p}")
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.legend(loc="upper right", fontsize=7)
    return save_figure(fig, path)


# -- the top-scored examples of image tasks, drawn as pictures -------------------------------------
# (height, width) of a grey image, (height, width, 3) of a colour one, (length,) of a curve
DATASET_SHAPES = {"digits": (8, 8), "mnist": (28, 28), "fashion": (28, 28), "cifar10": (32, 32, 3), "mnist1d": (40,)}


def picture_shape(cfg: TrainConfig, dim: int | None = None) -> tuple[int, ...] | None:
    """How a training example of ``cfg``'s task is drawn: the image shape of its data set
    (``--task images``), a square grey image for ``--task arrays`` inputs with a square number
    (≥ 16) of features (``dim``, read from the data when not given), else None (no picture)."""
    if cfg.task == "images":
        return DATASET_SHAPES.get(cfg.dataset)
    if cfg.task == "arrays":
        dim = dim if dim is not None else int(make_split(cfg).x_train.shape[1])
        side = int(round(dim ** 0.5))
        return (side, side) if side * side == dim and side >= 4 else None
    return None


def as_pictures(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Flat feature rows (k, D) as pictures (k, *shape). CIFAR-10 rows hold the red, green and blue
    planes one after the other (3 × 32 × 32, the batches' layout): they become (32, 32, 3)."""
    x = np.asarray(x, dtype=np.float64)
    if len(shape) == 3:
        return x.reshape(len(x), shape[2], shape[0], shape[1]).transpose(0, 2, 3, 1)
    return x.reshape(len(x), *shape)


TIE_SEED = 0x70B  # the order among equal scores


def top_indices(result: MemScores, k: int) -> np.ndarray:
    """The k highest-scored training examples, highest first, unscored ones last. Equal scores (many
    examples score exactly 1) come in a seeded random order: in index order, a task that numbers its
    facts first (``--task images``) would show only facts among equal scores."""
    score = np.nan_to_num(result.table.score.to_numpy(dtype=np.float64), nan=-np.inf)
    ties = np.random.default_rng(TIE_SEED).permutation(len(score))
    return np.lexsort((ties, -score))[:max(0, k)]


def top_examples(result: MemScores, cfg: TrainConfig, k: int) -> list[dict[str, Any]]:
    """The k top-scored examples with what the figure and the report show of each: index, score,
    the label trained on, the rule's label, whether it is a fact, and its picture (``as_pictures``
    of its pixels: for ``--task images`` the data set's own values, read through the same split
    with ``normalize = none``, so a standardised digit still looks like a digit; for arrays the
    file's values); [] for a task without pictures."""
    full = make_split(cfg.replace(normalize="none") if cfg.task == "images" else cfg)
    shape = picture_shape(cfg, int(full.x_train.shape[1]))
    if shape is None:
        return []
    idx = top_indices(result, k)
    pictures = as_pictures(full.x_train[idx], shape)
    t = result.table
    return [{"index": int(i), "score": float(t.score.iloc[i]), "label": int(t.label.iloc[i]),
             "true_label": int(t.true_label.iloc[i]), "is_fact": bool(t.is_fact.iloc[i]), "picture": pic}
            for i, pic in zip(idx, pictures, strict=True)]


def plot_top_examples(examples: list[dict[str, Any]], cfg: TrainConfig, path: Any) -> Any:
    """The top-scored training examples (``top_examples``) as small pictures (a curve for
    MNIST-1D), each titled with its score, the label it was trained on and the rule's label; facts
    framed in the facts' colour. Each picture is scaled to its own range of values."""
    from rulesfacts.plotting import SUBSET_COLORS, plt, save_figure

    n = max(1, len(examples))
    cols = min(8, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.45 * cols, 1.6 * rows + 0.5), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, ex in zip(axes.ravel(), examples, strict=False):
        pic = ex["picture"]
        if pic.ndim == 1:
            ax.plot(pic, color="black", lw=0.9)
        else:
            lo, hi = float(pic.min()), float(pic.max())
            scaled = (pic - lo) / (hi - lo) if hi > lo else np.zeros_like(pic)
            ax.imshow(scaled, cmap=None if pic.ndim == 3 else "gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        color = SUBSET_COLORS["facts_memorized"] if ex["is_fact"] else "#bbbbbb"
        for spine in ax.spines.values():
            spine.set_color(color)
            spine.set_linewidth(2.5 if ex["is_fact"] else 0.8)
        ax.set_title(f"#{ex['index']} s={ex['score']:.2f}\ny={ex['label']} true {ex['true_label']}", fontsize=7,
                     color=color if ex["is_fact"] else "black")
    n_facts = sum(ex["is_fact"] for ex in examples)
    fig.suptitle(f"the {len(examples)} highest memorization scores ({describe(cfg)}): "
                 f"{n_facts} of them are facts (framed)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)
