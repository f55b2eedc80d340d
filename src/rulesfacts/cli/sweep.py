"""``rulesfacts sweep`` (run a grid, resumably) and ``rulesfacts phase`` (diagrams of a sweep)."""

from __future__ import annotations

from pathlib import Path

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, say
from rulesfacts.errors import DataFileError
from rulesfacts.sweep.spec import preset_names


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep_cmd(
        spec: str = typer.Argument(..., help="A sweep spec (TOML file) or a preset name: "
                                             f"{', '.join(preset_names())}."),
        out: Path = typer.Option(None, "--out", "-o", help="Sweep folder (default: sweeps/<spec name>)."),
        set_: list[str] = typer.Option([], "--set", help="Override a base field: --set wd=5 (repeatable)."),
        axis: list[str] = typer.Option([], "--axis", help="Add or replace an axis: --axis wd=0,5,15 or "
                                       "--axis 'train_frac={linspace=[0.1,0.9,9]}' (repeatable)."),
        executor: str = typer.Option(None, help="local (process pool, default) | ray"),
        address: str = typer.Option(None, help="Ray cluster address (default: start a local Ray instance)."),
        workers: int = typer.Option(None, help="Parallel groups (default: one per core)."),
        threads: int = typer.Option(None, help="torch threads per worker (default 1)."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Start even if estimated to take more than 1 h."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only expand and count the runs."),
        max_runs: int = typer.Option(None, "--max-runs", min=1, show_default="the spec's [execution] max_runs, "
                                     "100000", help="Refuse a grid of more runs (counted before it is expanded)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Train every grid point of SPEC that SWEEP_DIR does not hold yet; rerun to resume."""
        from rulesfacts.sweep.spec import load_spec, with_overrides  # no torch: a bad spec is refused at once

        sweep_spec = with_overrides(load_spec(spec, max_runs), set_, axis, max_runs)
        out = out or Path("sweeps") / sweep_spec.name
        if dry_run:
            emit({"spec": sweep_spec.name, "runs_total": sweep_spec.n_runs, "axes":
                  {a.name: list(a.values) for a in sweep_spec.axes}, "sweep_dir": str(out)}, as_json, "sweep (dry run)")
            return
        from rulesfacts.sweep import run_sweep

        try:
            summary = run_sweep(sweep_spec, out, executor, workers=workers, threads=threads, address=address,
                                progress=not quiet, yes=yes)
        except KeyboardInterrupt:
            say("interrupted: finished runs are in the table; rerun the same command to continue")
            raise SystemExit(130) from None  # click returns (not raises) typer.Exit codes here
        emit(summary, as_json, title=f"sweep {out}")
        if not as_json:
            say(f"table: {summary['table']}  (diagrams: rulesfacts phase {out})")

    @app.command("phase")
    def phase_cmd(
        sweep_dir: Path = typer.Argument(..., help="A sweep folder (with results.sqlite)."),
        metric: str = typer.Option(None, help="Draw a heatmap of this column instead (e.g. test_acc)."),
        x: str = typer.Option(None, help="Column on the x axis (default from the spec, else train_frac)."),
        y: str = typer.Option(None, help="Column on the y axis (default from the spec, else fact_frac)."),
        panel: str = typer.Option(None, help="Column with one panel per value (default: the other swept axes)."),
        out: Path = typer.Option(None, "--out", "-o", help="PNG path (default: SWEEP_DIR/phases.png or "
                                 "SWEEP_DIR/heatmap-<metric>.png); the CSV goes beside it."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Phase diagram (or a metric heatmap) of a sweep: PNG plus the CSV of its cells. A cell pools
        every seed of its grid point and every swept field that is not x, y or a panel (the title
        names them): its phase is the majority one; a cell whose runs disagree is hatched with the
        share of its runs in that phase (`agreement` in the CSV), a tied one is drawn as "tie"
        (`tied` in the CSV names the phases; the CSV's `phase` takes the one listed first in
        docs/sweeps.md)."""
        from rulesfacts.sweep.diagrams import spec_diagram, write_metric_map, write_phase_map
        from rulesfacts.sweep.store import load_results, table_path

        df = load_results(sweep_dir)
        if df.empty:
            raise DataFileError(table_path(sweep_dir), "no finished runs yet (run `rulesfacts sweep` first)")
        diagram = spec_diagram(sweep_dir)
        x, y, panel = x or diagram.x, y or diagram.y, panel if panel is not None else diagram.panel
        title = f"{sweep_dir.name}: {len(df)} runs"
        if metric:
            res = write_metric_map(df, metric, out or sweep_dir / f"heatmap-{metric}.png", x, y, panel, title)
        else:
            res = write_phase_map(df, out or sweep_dir / "phases.png", x, y, panel, title)
        emit({"sweep_dir": str(sweep_dir), "runs": len(df), **res}, as_json, title="phase")
