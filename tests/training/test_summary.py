"""One list of a run's summary keys (``train.summary``): what the trainer writes, what
``rulesfacts train`` prints and what a sweep's results table stores all come from it."""

from __future__ import annotations

import json

from rulesfacts.config.train import TrainConfig
from rulesfacts.sweep.store import METRIC_COLUMNS, columns
from rulesfacts.training.summary import SUMMARY_KEYS, shown_keys, stored_columns
from rulesfacts.training.trainer import train
from tests.cli_helpers import run_cli


def test_the_trainer_writes_exactly_the_declared_keys(tmp_path):
    result = train(TrainConfig(p=5, width=4, epochs=2, log_every=1, device="cpu"), tmp_path / "r", progress=False)
    assert set(result.summary) == set(SUMMARY_KEYS)
    assert set(json.loads((tmp_path / "r" / "summary.json").read_text())) == set(SUMMARY_KEYS)


def test_declared_keys_are_plain_and_typed():
    for name, key in SUMMARY_KEYS.items():
        assert name.isidentifier() and key.sql in ("INTEGER", "REAL", "TEXT") and key.meaning.endswith(".")
    config = set(TrainConfig.__dataclass_fields__)
    assert not config & set(stored_columns())  # the config's column of that name is the table's


def test_store_and_cli_read_the_list(tmp_path, capsys):
    cols = columns()
    assert all(cols[k] == t for k, t in stored_columns().items())
    assert set(METRIC_COLUMNS) == set(stored_columns()) | {"phase", "run_dir"}
    code, out, _ = run_cli(["train", "-o", tmp_path / "r", "--p", "5", "--width", "4", "--epochs", "2",
                            "--device", "cpu", "--quiet", "--json"], capsys)
    assert code == 0 and set(json.loads(out)) == set(shown_keys()) | {"run_dir", "phase", "verdict"}
