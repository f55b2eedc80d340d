"""What a run report shows for each task: its header fields, its help text and the per-task data.

A report picks its views from ``cfg.task``: modular arithmetic gets the Fourier views (neuron
fits, star plot, predictions grid), sparse parity gets the bit views (relevant-bit mass, the
first layer per bit), and every other task (dense inputs: images, arrays, the Rules-and-Facts
data, or a task this module has never heard of) gets the generic dense-input views (weight norms
and per-neuron statistics). So a new task renders with true, if generic, text.

Every number is computed here, from the snapshot weights, with the analysis package's
formulas; the page only draws.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from rulesfacts.report.encode import half, rounded, rounded_list
from rulesfacts.tasks import describe

FOURIER_TASKS = ("modular",)
STAR_FREQS = 6  # key frequencies offered in the star view (the most used ones)
SHUFFLE_SEED = 12345  # the shuffled-order baselines use one fixed permutation stream


def view_kind(task: str) -> str:
    """'modular', 'parity' or 'dense' (any other task, known or not)."""
    return task if task in ("modular", "parity") else "dense"


# ---------- header and help ----------------------------------------------------------------
def header_fields(cfg: Any) -> list[tuple[str, Any]]:
    """(label, value) pairs of the fields that mean something for ``cfg.task``: α and p only for
    modular arithmetic, n/k/train size only for parity; the model and its regularizers always."""
    kind = view_kind(cfg.task)
    out: list[tuple[str, Any]] = [("task", cfg.task)]
    if kind == "modular":
        out += [("p", cfg.p), ("op", cfg.op), ("α", cfg.train_frac)]
    elif kind == "parity":
        out += [("n", cfg.n_bits), ("k", cfg.k), ("train size", cfg.train_size), ("test size", cfg.test_size)]
    else:  # every other task names its own data (tasks.REGISTRY)
        out += [("data", describe(cfg))]
    out += [("ξ", cfg.fact_frac)]
    out += [("model", model_line(cfg))]
    out += [("loss", cfg.loss), ("lr", cfg.lr)]
    out += [(name, getattr(cfg, name)) for name in ("wd", "l1", "l2", "dropout") if getattr(cfg, name, 0)]
    if not any(getattr(cfg, name, 0) for name in ("wd", "l1", "l2", "dropout")):
        out += [("regularization", "none")]
    out += [("seed", cfg.seed), ("epochs", cfg.epochs)]
    return out


def model_line(c: Any) -> str:
    """The model of a config in a few words (with its activation where it has one)."""
    if c.model == "transformer":
        return f"transformer d={c.d_model}"
    if c.model == "tied":
        embedding = "fixed circle embedding" if c.embed == "circle" else f"embedding d={c.d_embed}"
        return f"tied {embedding} N={c.width} {c.act}"
    if c.model == "linear":
        return f"linear λ={c.effective_lam:g}"
    if c.model == "rf":
        return f"random features κ={c.kappa:g} {c.act} λ={c.effective_lam:g}"
    return f"MLP N={c.width} {c.act}"


def config_line(cfg: Any) -> str:
    """The header's fields as one line."""
    def show(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    return "  ".join(f"{k}={show(v)}" if k != "task" else str(v) for k, v in header_fields(cfg))


CURVES_HELP = ("Accuracy and loss on each subset of the training set and on held-out test examples. "
               "'facts memorized' counts the examples with a redrawn (random) label that the net predicts with "
               "that label; 'facts recovered' those it predicts with the rule's label. The dashed line and the "
               "triangle above the plot mark the scrubbed step. Hover for the values.")
NORMS_HELP = ("Squared norm of the first-layer weights (norm_in) and of the output weights (norm_out), logged "
              "during training. Weight decay and L1/L2 penalties pull them down; memorizing the facts needs "
              "large weights, so a net that trades facts for the rule usually shows its norms falling.")

MODULAR_HELP = {
    "heatmap": "Hidden-layer weights at the scrubbed step: one row per neuron, columns are the tokens 0…p−1 of "
               "input a, of input b, and the p outputs (W_out transposed). Red positive, blue negative; the "
               "colour bar gives the scale. Rows are sorted generalizing first, then by dominant frequency, so a "
               "band of rows that is one wave is a group of neurons using one frequency. Click a row to see that "
               "neuron's weights as curves with their fitted cosine.",
    "neuron": "One neuron at the scrubbed step: its weights from a, from b and to the outputs over 0…p−1 "
              "(dots), and the cosine dc + A·cos(2πfn/p + φ) read off the largest Fourier bin of each curve "
              "(analysis.fourier.dominant). IPR is 1 for a pure cosine and about 2/(p/2+1) for noise. A neuron "
              "'becomes a wave' when the dots fall on its cosine.",
    "spectrum": "Fourier spectrum of the weights over Z_p. 'per neuron': each row is one neuron's |FFT| of its "
                "weights from a, normalised (rows in the heatmap's order): a rule neuron is one bright spike. "
                "'summed': the fraction of power at each frequency over all (or only the generalizing) neurons, "
                "with the same weights in shuffled token order as a baseline (the black line): bars at the "
                "baseline mean no frequency is preferred in the sum, which happens both for memorizing nets and "
                "for generalizing nets that spread their neurons over many frequencies. 'neurons per "
                "frequency' counts the generalizing neurons at each dominant frequency, which tells the two apart.",
    "ipr": "Inverse participation ratio of each neuron's spectrum (1 = a pure cosine, small = spread out). "
           "Neurons above the dashed threshold (read from the final network's IPR gap) count as generalizing.",
    "prune": "Accuracy of the final network when its neurons are removed one group at a time, lowest IPR first "
             "('low': memorizing neurons go first) or highest first ('high'). If facts memorized drops while "
             "test accuracy stays, the facts were stored in the low-IPR neurons.",
    "star": "The input-a embeddings (columns of W_in) of the neurons whose final dominant frequency is k (the "
            "generalizing ones when there are two or more), in the coordinates of that frequency's cosine and sine "
            "directions, joined in token order 0, 1, …, p−1. "
            "A net that computes the rule with frequency k puts token n at angle 2πkn/p on a circle; random "
            "weights give a scribble. The radius spread (coefficient of variation) is printed, with the same "
            "weights in shuffled token order as a baseline.",
    "predictions": "Every pair (a, b) at the scrubbed step: row a, column b. Hue: train (clean), fact (trained "
                   "with a random label) or test. Shade: the net predicts the rule's answer (dark), the fact's "
                   "random label (medium), or something else (light). Hover for the labels.",
}
PARITY_HELP = {
    "heatmap": "First-layer weights at the scrubbed step: one row per neuron, one column per input bit (numbered; "
               "the bits of the hidden subset are marked ▼). Red positive, blue negative; the colour bar gives the "
               "scale. A net that learned the rule concentrates its weights on the marked columns.",
    "bits": "Share of the first layer's weight mass Σ|W_in| on each input bit at the scrubbed step (relevant bits "
            "in gold). Chance is 1/n per bit.",
    "mass": "Fraction of Σ|W_in| on the k relevant bits over training (analysis.parity.relevant_mass; chance k/n, "
            "dotted) and Hoyer's sparsity of the first layer (0: all weights equal, 1: a single non-zero weight). "
            "L1 decay drives the weights off the irrelevant bits (sparse, mass → 1); L2 and weight decay shrink "
            "them evenly, so the mass rises more slowly. Compare an L1 and an L2 run with "
            "`rulesfacts report RUN_A RUN_B`.",
    "neurons": "Per-neuron statistics at the scrubbed step: each neuron's input norm ‖w_in‖ and output norm "
               "‖w_out‖, neurons sorted by input norm.",
}
FACTS_HELP = ("Which neurons store the facts, at the scrubbed step. Each dot is a neuron; up: its fact "
              "selectivity (m_f − m_c)/(m_f + m_c) from its mean activity |act(w_in·x)| on facts (m_f) and on clean "
              "training examples (m_c): 1 fires only on facts, 0 cannot tell them apart, −1 fires only on clean "
              "examples. Dots above the dashed line (the 99th percentile of the same numbers with the fact marks "
              "shuffled among the examples) are fact neurons, in the facts' colour; about 1 % of the neurons pass "
              "it by chance. Across: the neuron's alignment with the rule where the task declares one (|cos| with the "
              "teacher w* for the Rules-and-Facts data, the share of |w_in| on the relevant bits for parity; dotted: "
              "a random direction), else its size ‖w_in‖·‖w_out‖. Hover a dot for its numbers "
              "(analysis.dense; `rulesfacts analyze RUN_DIR` writes the same table for the final weights).")
DENSE_HELP = {
    "heatmap": "First-layer weights at the scrubbed step (one row per neuron, one column per input feature) and the "
               "output weights (transposed). Red positive, blue negative; the colour bar gives the scale. This "
               "task has no built-in notion of a 'rule neuron', so the report shows weights and their statistics "
               "only.",
    "neurons": "Per-neuron statistics at the scrubbed step: each neuron's input norm ‖w_in‖ and output norm "
               "‖w_out‖, neurons sorted by input norm. A few large neurons and many small ones is a sparse "
               "solution; all similar is a dense one.",
}


def help_texts(cfg: Any) -> dict[str, str]:
    """Help paragraphs for the panels of ``cfg.task``'s report (no text about a view it lacks)."""
    kind = view_kind(cfg.task)
    specific = {"modular": MODULAR_HELP, "parity": PARITY_HELP, "dense": DENSE_HELP}[kind]
    if kind == "modular" and cfg.model != "mlp":
        specific = {"heatmap": DENSE_HELP["heatmap"], "neurons": DENSE_HELP["neurons"]}
    facts = {"facts": FACTS_HELP} if kind != "modular" and cfg.model == "mlp" else {}
    return {"curves": CURVES_HELP, "norms": NORMS_HELP, **specific, **facts}


# ---------- modular: neuron fits, star plot, predictions -------------------------------------
def cosine_fit(w: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``w`` (n, p): the cosine dc + A cos(2π f n / p + φ) of its largest non-zero
    Fourier bin (f, φ from ``analysis.fourier.dominant``; A = 2|X_f|/p, dc = X_0/p, with
    A = |X_f|/p at the Nyquist bin f = p/2 of an even p)."""
    from rulesfacts.analysis.fourier import dominant

    w = np.asarray(w, dtype=np.float64)
    p = w.shape[-1]
    x = np.fft.rfft(w, axis=-1)
    freq, phase = dominant(w)
    mag = np.abs(np.take_along_axis(x, freq[:, None], axis=-1)[:, 0])
    amp = np.where(2 * freq == p, mag / p, 2 * mag / p)
    return {"freq": freq, "phase": phase, "amp": amp, "dc": x[:, 0].real / p}


FIT_ROWS = ("freq", "phase", "amp", "dc", "ipr")  # × (from a, from b, to outputs), then the combined IPR


def neuron_fits(parts: tuple[np.ndarray, ...], ipr: np.ndarray, parts_ipr: tuple[np.ndarray, ...]) -> dict[str, Any]:
    """The neuron detail's numbers for each shown neuron, as one (16, n) float16 matrix
    (``encode.half``): rows 3q + j hold quantity q of ``FIT_ROWS`` for weight vector j (from a,
    from b, to outputs): frequency, phase, amplitude, offset, IPR; row 15 the combined IPR."""
    fits = [cosine_fit(w) for w in parts]
    rows = [f[q] for q in FIT_ROWS[:4] for f in fits] + list(parts_ipr) + [ipr]
    return half(np.stack([np.asarray(r, dtype=np.float64) for r in rows]))


def star_coordinates(w: np.ndarray, k: int) -> np.ndarray:
    """(2, p) coordinates of the p token embeddings (columns of ``w``, shape (n, p)) in the basis
    of frequency k's cosine and sine directions c = w·cos(θ), s = w·sin(θ), θ_n = 2πkn/p, scaled
    by p/2: the least-squares x_n, y_n of w[:, n] ≈ (2/p)(x_n c + y_n s).

    For neurons that are exact cosines A_j cos(θ_n + φ_j) this gives (cos θ_n, sin θ_n): the unit
    circle, whatever the amplitudes and phases (as long as two phases differ). Random weights
    give points whose radius varies from token to token.
    """
    w = np.asarray(w, dtype=np.float64)
    p = w.shape[1]
    theta = 2 * np.pi * k * np.arange(p) / p
    basis = np.stack([w @ np.cos(theta), w @ np.sin(theta)], axis=1)  # (n, 2)
    return p / 2 * (np.linalg.pinv(basis) @ w)


def radius_spread(xy: np.ndarray) -> float:
    """Coefficient of variation (std / mean) of the points' distances to the origin."""
    r = np.hypot(xy[0], xy[1])
    return float(r.std() / r.mean()) if r.mean() > 0 else math.nan


def shuffled_columns(w: np.ndarray, seed: int = SHUFFLE_SEED) -> np.ndarray:
    """``w`` with the entries of each row permuted independently (a fixed stream): the same
    numbers with their token order destroyed, the baseline of the spectra and the star plot."""
    rng = np.random.default_rng(seed)
    idx = np.argsort(rng.random(w.shape), axis=1)
    return np.take_along_axis(np.asarray(w), idx, axis=1)


def star_frequencies(final_freq: np.ndarray, generalizing: np.ndarray) -> list[int]:
    """The frequencies offered in the star view: those with ≥ 2 neurons (one neuron spans only a
    line), most generalizing neurons first, then most neurons; at most ``STAR_FREQS``."""
    freqs, counts = np.unique(final_freq, return_counts=True)
    gen = {int(f): int((generalizing & (final_freq == f)).sum()) for f in freqs}
    keep = [(gen[int(f)], int(c), int(f)) for f, c in zip(freqs, counts, strict=True) if c >= 2]
    return [f for _, _, f in sorted(keep, key=lambda t: (-t[0], -t[1], t[2]))[:STAR_FREQS]]


def star_members(final_freq: np.ndarray, generalizing: np.ndarray, k: int) -> np.ndarray:
    """The neurons a star plot at frequency k projects: the final net's generalizing neurons of
    dominant frequency k when there are two or more (the neurons the analysis says compute with
    k), else every neuron of dominant frequency k (a memorizing net has no generalizing ones)."""
    at_k = np.asarray(final_freq) == k
    gen = at_k & np.asarray(generalizing, dtype=bool)
    return gen if gen.sum() >= 2 else at_k


def star_frame(w_a: np.ndarray, members: dict[int, np.ndarray]) -> dict[str, Any]:
    """Star coordinates at one snapshot for each offered frequency k (neurons ``members[k]``,
    from ``star_members``), their radius spread, and the shuffled-order baseline's spread."""
    out = {}
    for k, mask in members.items():
        w = w_a[mask]
        xy = star_coordinates(w, k)
        out[str(k)] = {"x": rounded_list(xy[0], 3), "y": rounded_list(xy[1], 3), "cv": rounded(radius_spread(xy), 3),
                       "cv_shuffled": rounded(radius_spread(star_coordinates(shuffled_columns(w), k)), 3)}
    return out


def b64_bytes(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


# subset codes of the predictions grid
UNDEFINED, CLEAN, FACT, TEST = 0, 1, 2, 3


def prediction_grid(cfg: Any, weights: list[dict[str, np.ndarray]], chunk: int = 4) -> dict[str, Any] | None:
    """The p × p table of (a, b): which subset each pair is in, the rule's and the trained label,
    and the net's prediction at each snapshot in ``weights``, as base64 uint8 (p ≤ 255).

    Predictions come from the run's own model (``models.build_model``) on CPU, ``chunk``
    snapshots per batched forward pass.
    """
    if cfg.task != "modular" or cfg.p > 255 or not weights:
        return None
    import torch

    from rulesfacts.models import build_model
    from rulesfacts.tasks import make_split
    from rulesfacts.tasks.modular import all_pairs

    p = cfg.p
    split = make_split(cfg)
    pairs, rule = all_pairs(p, cfg.op, cfg.pairs)
    cell = pairs[:, 0] * p + pairs[:, 1]
    subset = np.full(p * p, UNDEFINED, np.uint8)
    rule_grid = np.zeros(p * p, np.uint8)
    label_grid = np.zeros(p * p, np.uint8)
    subset[cell] = TEST
    rule_grid[cell] = rule
    label_grid[cell] = rule
    train_cell = (split.x_train[:, 0]) * p + (split.x_train[:, 1] - p)
    subset[train_cell] = np.where(split.is_fact, FACT, CLEAN)
    label_grid[train_cell] = split.y_train
    tokens = torch.from_numpy(pairs + np.array([0, p]))
    preds = []
    with torch.no_grad():
        for start in range(0, len(weights), chunk):
            group = weights[start:start + chunk]
            model = build_model([cfg] * len(group), split, torch.device("cpu"))
            for i, w in enumerate(group):
                model.load_member_weights(i, w)
            model.eval()
            logits = model(tokens.unsqueeze(0).expand(len(group), *tokens.shape).contiguous())
            for row in logits.argmax(-1).numpy():
                grid = np.zeros(p * p, np.uint8)
                grid[cell] = row
                preds.append(b64_bytes(grid))
    return {"p": p, "op": cfg.op, "subset": b64_bytes(subset), "rule": b64_bytes(rule_grid),
            "label": b64_bytes(label_grid), "pred": preds}


def prediction_counts(grid: dict[str, Any], frame: int) -> dict[str, dict[str, int]]:
    """Counts per subset of predictions equal to the rule, to the fact's label, or neither (the
    legend of the grid, and what tests check against the run's metrics)."""
    def dec(s: str) -> np.ndarray:
        return np.frombuffer(base64.b64decode(s), dtype=np.uint8)

    subset, rule, label, pred = dec(grid["subset"]), dec(grid["rule"]), dec(grid["label"]), dec(grid["pred"][frame])
    out = {}
    for name, code in (("clean", CLEAN), ("facts", FACT), ("test", TEST)):
        m = subset == code
        is_rule = pred[m] == rule[m]
        is_fact = (pred[m] == label[m]) & ~is_rule
        out[name] = {"rule": int(is_rule.sum()), "fact": int(is_fact.sum()),
                     "neither": int((~is_rule & ~is_fact).sum())}
    return out


# ---------- parity and dense inputs ----------------------------------------------------------
def parity_static(cfg: Any) -> dict[str, Any]:
    from rulesfacts.analysis.parity import relevant_subset

    return {"subset": relevant_subset(cfg).astype(int).tolist(), "chance": rounded(cfg.k / cfg.n_bits),
            "n_bits": int(cfg.n_bits)}


def parity_frame(w_in: np.ndarray, subset: list[int]) -> dict[str, Any]:
    """Per-bit share of Σ|W_in|, relevant-bit mass and Hoyer sparsity of one snapshot's first layer."""
    from rulesfacts.analysis.parity import hoyer_sparsity, relevant_mass

    col = np.abs(np.asarray(w_in, dtype=np.float64)).sum(axis=0)
    share = col / col.sum() if col.sum() > 0 else col
    return {"bit_share": rounded_list(share, 3), "relevant_mass": rounded(relevant_mass(w_in, np.asarray(subset))),
            "sparsity": rounded(hoyer_sparsity(w_in))}


def neuron_norms(w_in: np.ndarray, w_out: np.ndarray) -> dict[str, Any]:
    """Each neuron's ‖w_in‖ (row of W_in, matrix row 0) and ‖w_out‖ (column of W_out, row 1), float16."""
    w_in, w_out = np.asarray(w_in, np.float64), np.asarray(w_out, np.float64)
    return half(np.stack([np.sqrt((w_in**2).sum(1)), np.sqrt((w_out**2).sum(0))]))


# ---------- per-neuron statistics of MLPs on dense inputs (and parity): analysis.dense ----------
REPORT_EXAMPLES = 2048  # training examples whose activations the report's per-snapshot statistics read
SUBSAMPLE_SEED = 0  # which ones, when the training set is larger
DENSE_ROWS = ("alignment", "fact_selectivity", "fact_share", "scale")  # rows of a frame's ``neuron_stats``


def dense_static(cfg: Any) -> dict[str, Any]:
    """What every snapshot's neuron statistics share: the task's split and the training examples
    read (all of them, or a seeded ``REPORT_EXAMPLES`` of them), what alignment means and its
    chance level. ``split`` is None, with a note, when the task's data cannot be read here."""
    from rulesfacts.analysis.dense import FACT_QUANTILE, chance_alignment, rule_axis, rule_kind
    from rulesfacts.errors import DataFileError
    from rulesfacts.tasks import make_split

    try:
        split = make_split(cfg)
    except DataFileError as e:
        return {"split": None, "note": f"fact selectivity not shown: {e}"}
    n = split.n_train
    rows = np.arange(n) if n <= REPORT_EXAMPLES else np.sort(
        np.random.default_rng(SUBSAMPLE_SEED).choice(n, REPORT_EXAMPLES, replace=False))
    return {"split": split, "rows": rows, "rule": rule_kind(cfg), "rule_axis": rule_axis(cfg),
            "chance": rounded(chance_alignment(cfg)), "n_examples": int(len(rows)), "n_train": int(n),
            "n_facts": int(split.is_fact[rows].sum()), "quantile": FACT_QUANTILE}


def dense_frame(cfg: Any, weights: dict[str, np.ndarray], static: dict[str, Any],
                neurons: np.ndarray) -> dict[str, Any]:
    """One snapshot's per-neuron table (``analysis.dense.dense_neuron_table`` on the examples of
    ``static``) for the shown ``neurons``: the ``DENSE_ROWS`` as one float16 matrix, each neuron's
    fact-neuron flag, the threshold and the count over all neurons."""
    from rulesfacts.analysis.dense import dense_neuron_table

    t = dense_neuron_table(cfg, weights, static["split"], static["rows"])
    shown = t.iloc[neurons]
    return {"neuron_stats": half(np.stack([shown[c].to_numpy(dtype=np.float64) for c in DENSE_ROWS])),
            "fact_neuron": shown["fact_neuron"].astype(int).tolist(), "fact_threshold": rounded(t.attrs["threshold"]),
            "n_fact_neurons": int(t["fact_neuron"].sum()) if t.attrs["threshold"] is not None else None,
            "expected_by_chance": rounded(t.attrs["expected_by_chance"])}
