"""The results table: agreed columns, whole rows only, one row per run."""

import sqlite3

import pandas as pd
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import DataFileError
from rulesfacts.sweep.store import columns, done_ids, insert_rows, load_results, make_row, table_path

AGREED = {"run_id", "train_acc", "test_acc", "clean_acc", "facts_memorized", "facts_recovered", "train_loss",
          "test_loss", "epochs", "status", "diverged_epoch", "epoch_train_99", "epoch_test_99", "grok_delay",
          "phase", "seconds", "run_dir"}


def summary(acc):
    return {"train_acc": acc, "test_acc": acc / 2, "clean_acc": acc, "facts_memorized": 1.0, "facts_recovered": 0.0,
            "train_loss": 0.1, "test_loss": 0.2, "status": "completed", "diverged_epoch": None,
            "epoch_train_99": 10, "epoch_test_99": None, "grok_delay": None, "seconds": 1.5}


def test_columns_are_the_agreed_api():
    cols = columns()
    names = set(cols)
    assert AGREED <= names
    assert {f for f in TrainConfig().to_dict()} <= names  # every config field
    assert cols["run_id"] == "TEXT PRIMARY KEY" and cols["betas"] == "TEXT"


def test_rows_round_trip_and_replace_not_duplicate(tmp_path):
    cfg = TrainConfig(p=11, width=8, wd=5.0)
    insert_rows(tmp_path, [make_row("a", cfg, summary(0.5), "memorization", "runs/a"),
                           make_row("b", cfg.replace(seed=1), summary(0.7), "confusion", "runs/b")])
    insert_rows(tmp_path, [make_row("a", cfg, summary(0.9), "coexistence", "runs/a")])
    df = load_results(tmp_path)
    assert list(df["run_id"]) == ["a", "b"]
    a = df.set_index("run_id").loc["a"]
    assert a["train_acc"] == 0.9 and a["phase"] == "coexistence" and a["wd"] == 5.0 and a["p"] == 11
    assert a["betas"] == "[0.9, 0.98]" and not a["bias"] and pd.isna(a["epoch_test_99"])
    assert done_ids(tmp_path) == {"a", "b"}
    # users query it with plain SQL too
    with sqlite3.connect(table_path(tmp_path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs WHERE phase='confusion'").fetchone() == (1,)


def test_a_failing_group_writes_no_row(tmp_path):
    cfg = TrainConfig(p=11, width=8)
    good = make_row("a", cfg, summary(0.5), "memorization", "runs/a")
    bad = {**make_row("b", cfg, summary(0.5), "memorization", "runs/b"), "train_acc": object()}
    with pytest.raises(sqlite3.Error):
        insert_rows(tmp_path, [good, bad])
    assert done_ids(tmp_path) == set()


def test_missing_or_corrupt_table(tmp_path):
    with pytest.raises(DataFileError):
        load_results(tmp_path)
    assert done_ids(tmp_path) == set()
    table_path(tmp_path).write_bytes(b"not a database" * 100)
    with pytest.raises(DataFileError):
        load_results(tmp_path)


def test_a_table_from_before_a_new_config_field_still_loads_and_takes_rows(tmp_path):
    # a sweep folder written by an older rulesfacts: its table lacks the newest field ("compile")
    old_cols = {k: t for k, t in columns().items() if k != "compile"}
    cfg = TrainConfig(p=11, width=8)
    old_row = {k: v for k, v in make_row("old", cfg, summary(0.5), "memorization", "runs/old").items()
               if k in old_cols}
    with sqlite3.connect(table_path(tmp_path)) as conn:
        conn.execute(f"CREATE TABLE runs ({', '.join(f'{chr(34)}{k}{chr(34)} {t}' for k, t in old_cols.items())})")
        conn.execute(f"INSERT INTO runs ({', '.join(chr(34) + k + chr(34) for k in old_row)}) "
                     f"VALUES ({', '.join('?' * len(old_row))})", tuple(old_row.values()))
    insert_rows(tmp_path, [make_row("new", cfg.replace(compile=True), summary(0.7), "confusion", "runs/new")])
    df = load_results(tmp_path).set_index("run_id")
    assert df.loc["old", "compile"] == False and df.loc["new", "compile"] == True  # noqa: E712
    assert df.loc["old", "train_acc"] == 0.5 and df.loc["new", "train_acc"] == 0.7
