"""The memorization-score section of a run report: the data block of RUN_DIR/memscore.json
(written by ``rulesfacts memscore -o RUN_DIR``), kept apart from the run page's other views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rulesfacts.errors import DataFileError
from rulesfacts.io import read_json

SECTION_KEYS = ("members", "keep", "n_train", "n_facts", "n_unscored", "roc_auc", "precision_at_facts",
                "mean_score_facts", "mean_score_clean", "mean_se", "seconds", "train_seconds_single", "cost_vs_single",
                "histogram")


def memscore_data(run_dir: Path) -> dict[str, Any] | None:
    """The scores' summary and histogram counts (clean vs facts on fixed bins), or None when the
    folder has no memscore.json. A damaged file is a ``DataFileError`` naming it."""
    path = Path(run_dir) / "memscore.json"
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("histogram"), dict):
        raise DataFileError(path, "not a memscore summary (no histogram table); rerun rulesfacts memscore")
    return {k: data.get(k) for k in SECTION_KEYS}
