"""The results table of a sweep: SWEEP_DIR/results.sqlite, table ``runs``, one row per run.

Columns: run_id (PRIMARY KEY), every TrainConfig field (typed by its declared constraint; pairs
and tables as JSON text), the run summary's stored keys (``train.summary``), phase and run_dir
(relative to SWEEP_DIR). ``epochs`` is the configured length; a diverged run records where it
stopped in ``diverged_epoch``.

A row is written only after its run folder's summary is complete, in one transaction with the
other runs of its group, with INSERT OR REPLACE on the primary key: after a crash the table
holds whole rows only and never two rows for one run. SQLite because the standard library has
it and pandas (``pd.read_sql``) and DuckDB (``sqlite_scan``) read it directly.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rulesfacts.config import Flag, declarations, saved_names
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import DataFileError
from rulesfacts.training.summary import FRACTION_KEYS, stored_columns

TABLE = "results.sqlite"
# The run summary's stored keys, then what the sweep adds: the phase and the run's folder.
METRIC_COLUMNS = {**stored_columns(), "phase": "TEXT", "run_dir": "TEXT"}
# Columns that change between two identical runs (wall-clock) — ignore them when comparing tables.
TIMING_COLUMNS = ("seconds",)


def columns() -> dict[str, str]:
    """Column name → SQLite type, in table order."""
    cols = {"run_id": "TEXT PRIMARY KEY"}
    cols |= {name: d.constraint.sql_type for name, d in declarations(TrainConfig).items()}
    cols |= METRIC_COLUMNS
    return cols


def table_path(sweep_dir: Path | str) -> Path:
    return Path(sweep_dir) / TABLE


@contextlib.contextmanager
def connect(sweep_dir: Path | str) -> Iterator[sqlite3.Connection]:
    """Open (creating if needed) the table; FULL sync so a committed row survives power loss."""
    path = table_path(sweep_dir)
    try:
        conn = sqlite3.connect(path, timeout=60)
        conn.execute("PRAGMA synchronous=FULL")
        cols = ", ".join(f'"{k}" {t}' for k, t in columns().items())
        conn.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols})")
        _add_new_columns(conn)
    except sqlite3.DatabaseError as e:
        raise DataFileError(path, f"not a usable SQLite results table ({e})") from None
    try:
        yield conn
    finally:
        conn.close()


def _add_new_columns(conn: sqlite3.Connection) -> None:
    """A table written by an older rulesfacts lacks the config fields added since: add them (NULL
    in the old rows, read back as the field's default by ``load_results``)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    renamed = saved_names(TrainConfig)
    for name, sql_type in columns().items():
        if name not in have:
            try:
                conn.execute(f'ALTER TABLE runs ADD COLUMN "{name}" {sql_type}')
                old = next((o for o, n in renamed.items() if n == name and o in have), None)
                if old is not None:  # a renamed field: its values are in the column of its old name
                    with conn:
                        conn.execute(f'UPDATE runs SET "{name}" = "{old}"')
            except sqlite3.OperationalError:  # read-only folder: load_results fills the defaults
                return


def make_row(run_id: str, cfg: TrainConfig, summary: dict[str, Any], phase: str, run_dir: str) -> dict[str, Any]:
    """One table row from a config and its run's final summary."""
    row: dict[str, Any] = {"run_id": run_id}
    for k, d in declarations(cfg).items():
        row[k] = d.constraint.sql_value(getattr(cfg, k))
    for k in METRIC_COLUMNS:
        row[k] = summary.get(k)
    row.update(phase=phase, run_dir=run_dir)
    return row


def insert_rows(sweep_dir: Path | str, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` in one transaction (all or none of them land)."""
    if not rows:
        return
    names = list(columns())
    sql = f"INSERT OR REPLACE INTO runs ({', '.join(chr(34) + n + chr(34) for n in names)}) " \
          f"VALUES ({', '.join('?' * len(names))})"
    with connect(sweep_dir) as conn, conn:
        conn.executemany(sql, [tuple(r.get(n) for n in names) for r in rows])


def done_ids(sweep_dir: Path | str) -> set[str]:
    """run_ids already in the table (those a rerun skips)."""
    if not table_path(sweep_dir).is_file():
        return set()
    with connect(sweep_dir) as conn:
        return {r[0] for r in conn.execute("SELECT run_id FROM runs")}


def check_columns(path: Path, df: pd.DataFrame) -> None:
    """The table's schema: a number in every REAL or INTEGER column (or NULL), accuracies in
    [0, 1]. SQLite stores whatever it is given, so text written into a numeric column by hand
    would otherwise surface as a crash far from here."""
    fractions = FRACTION_KEYS
    for name, sql_type in columns().items():
        if name not in df.columns or sql_type not in ("REAL", "INTEGER"):
            continue
        given = df[name].notna()
        numbers = pd.to_numeric(df[name].where(df[name].map(lambda v: not isinstance(v, (str, bytes)))),
                                errors="coerce")
        bad = given & (numbers.isna() | ~np.isfinite(numbers.fillna(0.0))
                       | ((numbers < 0) | (numbers > 1)) & (name in fractions))
        if bad.any():
            i = bad.idxmax()
            what = "a number in [0, 1]" if name in fractions else "a number"
            raise DataFileError(path, f"column {name!r} of run {df['run_id'][i]} holds {df[name][i]!r}, expected "
                                f"{what} or NULL")
        df[name] = numbers


def load_results(sweep_dir: Path | str) -> pd.DataFrame:
    """The whole table as a DataFrame (one row per run; betas as a JSON text column)."""
    path = table_path(sweep_dir)
    if not path.is_file():
        raise DataFileError(path, "file not found (expected the results table of a sweep folder)")
    with connect(sweep_dir) as conn:
        try:
            df = pd.read_sql("SELECT * FROM runs ORDER BY run_id", conn)
        except (pd.errors.DatabaseError, sqlite3.DatabaseError) as e:
            raise DataFileError(path, f"cannot read table 'runs' ({e})") from None
    check_columns(path, df)
    row = make_row("", TrainConfig(), {}, "", "")  # the defaults as stored
    for name, d in declarations(TrainConfig).items():
        default = row[name]
        if name not in df.columns:  # a field newer than the table (read-only folder)
            df[name] = default
        elif default is not None:  # NULL where an older rulesfacts wrote the row: the default
            df[name] = df[name].where(df[name].notna(), default)
        if isinstance(d.constraint, Flag):  # SQLite stores booleans as 0/1
            df[name] = df[name].astype(bool)
    return df
