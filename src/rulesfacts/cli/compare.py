"""``rulesfacts compare`` (curves and outcomes of several runs) and ``rulesfacts runs`` (an index
of the runs under a folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, stderr_console


def _print_table(df: Any, title: str) -> None:
    """The runs as a table on stderr: one row per run, numbers to 3 digits."""
    from rich.table import Table

    table = Table(title=title)
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in df.iterrows():
        table.add_row(*["" if v is None or v != v else f"{v:.3g}" if isinstance(v, float) else str(v) for v in row])
    stderr_console().print(table)


def _records(df: Any) -> list[dict[str, Any]]:
    return [{k: (None if v is None or v != v else v) for k, v in r.items()} for r in df.to_dict("records")]


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        runs: list[Path] = typer.Argument(None, help="Run folders to compare (or use --sweep).", show_default=False),
        sweep: Path = typer.Option(None, "--sweep", show_default=False,
                                   help="Compare the runs of this sweep folder (those matching --where)."),
        where: list[str] = typer.Option([], "--where", help="key=value filter on the sweep's table, repeatable, "
                                        "e.g. --where wd=5 --where seed=0."),
        curve: list[str] = typer.Option(["test_acc", "facts_memorized"], "--curve",
                                        help="Curves to overlay, one panel each (repeatable): test_acc, "
                                             "facts_memorized, train_acc, facts_recovered, clean_acc, train_loss, "
                                             "test_loss."),
        out: Path = typer.Option(Path("compare.png"), "--out", "-o", help="PNG of the overlaid curves."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Overlay the curves of several runs (PNG) and print their outcomes side by side, with
        the config fields that differ between them."""
        from rulesfacts.errors import ConfigError
        from rulesfacts.sweep.compare import parse_where, plot_compare, runs_table, sweep_runs

        paths = list(runs or [])
        if sweep is not None:
            paths += sweep_runs(sweep, parse_where(where))
        elif where:
            raise ConfigError("where", " ".join(where), "used with --sweep DIR")
        if not paths:
            raise ConfigError("runs", None, "at least one run folder, or --sweep DIR")
        table, differ = runs_table(paths)
        plot_compare(paths, table, differ, list(dict.fromkeys(curve)), out)
        if not as_json:
            _print_table(table, f"{len(paths)} runs" + (f"; they differ in {', '.join(differ)}" if differ else ""))
        emit({"runs": _records(table), "differ": differ, "png": str(out)}, as_json) if as_json else \
            stderr_console().print(f"curves: {out}")

    @app.command("runs")
    def runs_cmd(
        folder: Path = typer.Argument(Path("runs"), help="A folder of run folders (searched recursively)."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """An index of the runs under a folder: the config fields that differ between them, and
        each run's status, phase, epochs and final accuracies."""
        from rulesfacts.sweep.compare import find_runs, runs_table

        paths = find_runs(folder)
        if not paths:
            from rulesfacts.errors import DataFileError

            raise DataFileError(folder, "holds no run folders (none with config.json and metrics.csv)")
        table, differ = runs_table(paths, Path(folder))
        if as_json:
            emit({"folder": str(folder), "runs": _records(table), "differ": differ}, as_json)
        else:
            _print_table(table, f"{len(paths)} runs under {folder}"
                         + (f"; they differ in {', '.join(differ)}" if differ else ""))
