"""The memorization-score section of a run report: the data block of RUN_DIR/memscore.json
(written by ``rulesfacts memscore -o RUN_DIR``), kept apart from the run page's other views.

Besides the summary and the histogram counts, the section shows the top-scored training examples
when RUN_DIR/memscores.csv is there and its rows are this run's training set (same count, labels
and facts: the scores were computed with the run's own data flags): for modular arithmetic the
whole (a, b) table of scores, for image tasks the pictures of the top examples
(``analysis.memscore.top_examples``), for other tasks their numbers. The sentences under the
numbers are built here from the numbers, so the page states nothing the file does not say.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.errors import DataFileError
from rulesfacts.io import read_json
from rulesfacts.report.encode import half, rounded, rounded_list

SECTION_KEYS = ("members", "keep", "n_train", "n_facts", "n_unscored", "roc_auc", "precision_at_facts",
                "mean_score_facts", "mean_score_clean", "mean_se", "seconds", "train_seconds_single", "cost_vs_single",
                "histogram")
TOP_SHOWN = 24  # top-scored examples listed (and drawn, for image tasks)
TABLE_NAME, SUMMARY_NAME = "memscores.csv", "memscore.json"
HELP = ("Memorization score of each training example (Feldman & Zhang 2020): the accuracy on it of the networks "
        "that trained on it minus that of the networks that held it out (`rulesfacts memscore -o RUN_DIR`, each "
        "network trained on a random half). A fact (a training example with a redrawn label) can only be "
        "predicted with its label by a network that saw it, so memorized facts score near 1; an example the rule "
        "explains scores near 0. The histogram counts the scores of the clean examples and of the facts; below "
        "it, the top-scored examples (hover for their numbers).")
# subset codes of the (a, b) table: no training pair, clean, fact; + 2 when the pair has no score
NO_PAIR, CLEAN, FACT, UNSCORED_OFFSET = 0, 1, 2, 2


def memscore_data(run_dir: Path, cfg: Any = None) -> dict[str, Any] | None:
    """The scores' summary and histogram counts (clean vs facts on fixed bins), the sentences that
    read them, and (with ``cfg``, the run's config, and the per-example table) the top-scored
    examples; None when the folder has no memscore.json. A damaged file is a ``DataFileError``
    naming it."""
    path = Path(run_dir) / SUMMARY_NAME
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("histogram"), dict):
        raise DataFileError(path, "not a memscore summary (no histogram table); rerun rulesfacts memscore")
    out = {k: data.get(k) for k in SECTION_KEYS}
    out |= {"sentences": sentences(out), "help": HELP}
    if cfg is not None and (Path(run_dir) / TABLE_NAME).is_file():
        out |= examples_data(read_table(Path(run_dir) / TABLE_NAME), cfg)
    return out


def read_table(path: Path) -> pd.DataFrame:
    """memscores.csv with the columns the section reads, or a ``DataFileError`` naming the file."""
    need = ("index", "score", "se", "is_fact", "label", "true_label")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise DataFileError(path, f"cannot read as a CSV table ({e.__class__.__name__}: {e})") from None
    missing = [c for c in need if c not in table]
    if missing:
        raise DataFileError(path, f"not a memscore table: no column {', '.join(missing)}; rerun rulesfacts memscore")
    return table


def sentences(s: dict[str, Any]) -> list[str]:
    """What the numbers say, one sentence per number that is there (none for a missing one)."""
    out = []
    n, nf = s.get("n_train"), s.get("n_facts")
    mf, mc = s.get("mean_score_facts"), s.get("mean_score_clean")
    if mf is not None and mc is not None:
        which = ("the facts are the more memorized" if mf > mc else "the clean examples are the more memorized"
                 if mf < mc else "both are memorized alike")
        out.append(f"Facts score {mf:.3f} on average and clean examples {mc:.3f}: {which} (a score is the accuracy "
                   "of the networks trained on an example minus that of the networks that held it out).")
    auc = s.get("roc_auc")
    if auc is not None:
        out.append(f"ROC AUC {auc:.3f}: a random fact scores above a random clean example with probability "
                   f"{auc:.3f} (0.5 is chance, 1 a perfect detector).")
    prec = s.get("precision_at_facts")
    if prec is not None and n and nf:
        base = nf / n
        out.append(f"Of the {nf} top-scored examples, {prec:.1%} are facts, against {base:.1%} of the training "
                   f"set ({prec / base:.1f}× the base rate)." if base > 0 else "")
    cost, sec, members = s.get("cost_vs_single"), s.get("seconds"), s.get("members")
    if sec is not None and members:
        text = f"The {members} networks trained in {sec:g} s"
        out.append(text + (f", {cost:g}× one training run on the whole set." if cost is not None else "."))
    if s.get("n_unscored"):
        out.append(f"{s['n_unscored']} examples have no score (every network trained on them, or none did).")
    return [t for t in out if t]


def split_matches(table: pd.DataFrame, split: Any) -> bool:
    """Whether the table's rows are ``split``'s training set (count, trained labels, true labels, facts)."""
    if len(table) != split.n_train:
        return False
    t = table.sort_values("index")
    return (bool((t["index"].to_numpy() == np.arange(split.n_train)).all())
            and bool((t["label"].to_numpy() == split.y_train).all())
            and bool((t["true_label"].to_numpy() == split.y_train_true).all())
            and bool((t["is_fact"].astype(bool).to_numpy() == split.is_fact).all()))


def b64_bytes(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def examples_data(table: pd.DataFrame, cfg: Any) -> dict[str, Any]:
    """The top-scored examples (and the whole (a, b) table of modular arithmetic with p ≤ 255),
    or a note saying why they are not shown."""
    from rulesfacts.analysis.memscore import MemScores, top_examples, top_indices
    from rulesfacts.tasks import make_split

    try:
        split = make_split(cfg)
    except DataFileError as e:  # e.g. an image data set no longer on this machine
        return {"examples_note": f"examples not shown: {e}"}
    if not split_matches(table, split):
        return {"examples_note": "examples not shown: the scores' table is not this run's training set "
                                 "(rulesfacts memscore was run with other data flags)"}
    table = table.sort_values("index").reset_index(drop=True)
    result = MemScores(table, int(split.is_fact.sum()), 0, 0.0, None, None, 0.0, None)
    idx = top_indices(result, TOP_SHOWN)
    score = table["score"].to_numpy(dtype=np.float64)
    top = [{"index": int(i), "score": rounded(score[i]), "se": rounded(table["se"].iloc[i]),
            "label": int(table["label"].iloc[i]), "true_label": int(table["true_label"].iloc[i]),
            "is_fact": bool(split.is_fact[i])} for i in idx]
    out: dict[str, Any] = {"top": top, "examples_kind": "table"}
    if cfg.task == "modular" and cfg.p <= 255:
        p = cfg.p
        a, b = split.x_train[:, 0].astype(int), split.x_train[:, 1].astype(int) - p
        cell = a * p + b
        subset, grid = np.zeros(p * p, np.uint8), np.zeros(p * p)
        subset[cell] = np.where(split.is_fact, FACT, CLEAN) + np.where(np.isfinite(score), 0, UNSCORED_OFFSET)
        grid[cell] = np.nan_to_num(score)
        labels, rule = np.zeros(p * p, np.uint8), np.zeros(p * p, np.uint8)
        labels[cell], rule[cell] = split.y_train, split.y_train_true
        for t in top:
            t["a"], t["b"] = int(a[t["index"]]), int(b[t["index"]])
        out |= {"examples_kind": "cells", "cells": {"p": p, "subset": b64_bytes(subset), "label": b64_bytes(labels),
                                                     "rule": b64_bytes(rule), "score": half(grid.reshape(p, p))}}
    else:
        pics = top_examples(result, cfg, TOP_SHOWN)
        if pics:
            shape = list(pics[0]["picture"].shape)
            for t, ex in zip(top, pics, strict=True):
                pic = ex["picture"]
                if pic.ndim == 1:
                    t["curve"] = rounded_list(pic, 3)
                else:
                    lo, hi = float(pic.min()), float(pic.max())
                    t["pixels"] = b64_bytes(np.round(255 * (pic - lo) / (hi - lo)) if hi > lo else np.zeros(pic.shape))
            out |= {"examples_kind": "curves" if len(shape) == 1 else "pictures", "picture_shape": shape}
    return out
