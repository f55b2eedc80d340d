"""``rulesfacts report``: one self-contained HTML explorer (and optional static figures) for a run
folder, a sweep folder or a theory spec."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, say
from rulesfacts.errors import ConfigError
from rulesfacts.io import ensure_writable_dir
from rulesfacts.runtime import progress as progress_bar

FIGURE_FORMATS = ("png", "svg", "pdf")
REPORT_NAME = "report.html"


def _work_units(source: Path, kind: str) -> int:
    if kind == "sweep":
        from rulesfacts.sweep.store import load_results

        return len(load_results(source))
    if kind == "theory":
        from rulesfacts.report.theory_report import load_theory_spec

        spec = load_theory_spec(source)
        return len(spec.eps) * len(spec.lam)
    from rulesfacts.report.run_report import RunReportOptions
    from rulesfacts.train.rundir import load_run

    run, opts = load_run(source), RunReportOptions()
    return min(len(run.snapshot_epochs()), opts.max_snapshots) + len(opts.prune_orders)  # snapshots, pruning curves


def make_report(source: Path, out: Path | None, figures: Path | None = None, fmt: str = "png",
                progress: bool = True) -> dict[str, Any]:
    """Write the HTML report of ``source`` (default: RUN_DIR/report.html next to a run or sweep,
    theory.html beside a spec) and, with ``figures``, the matching static figures."""
    from rulesfacts.report.html import check_output, report_data, report_kind, write_report

    if fmt not in FIGURE_FORMATS:
        raise ConfigError("format", fmt, f"one of {', '.join(FIGURE_FORMATS)}")
    t0 = time.perf_counter()
    kind = report_kind(source)
    if out is None:
        out = source.with_suffix(".html") if kind == "theory" else source / REPORT_NAME
    check_output(out)
    if figures is not None:
        ensure_writable_dir(figures)
    with progress_bar(_work_units(source, kind), f"{kind} report", progress) as tick:
        data = report_data(source, kind, tick)
    summary = {**write_report(data, out), "source": str(source)}
    if figures is not None:
        from rulesfacts.report.figures import write_figures

        summary["figures"] = [str(p) for p in write_figures(data, figures, fmt)]
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return summary


def demo_report(run_dir: Path) -> dict[str, Any]:
    """The demo's last step (a ``DEMO_EXTRAS`` hook): RUN_DIR/report.html, path printed."""
    summary = make_report(Path(run_dir), Path(run_dir) / REPORT_NAME, progress=False)
    say(f"interactive report: {summary['report']}  (open it in a browser; works offline)")
    return {"report": summary["report"]}


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        source: Path = typer.Argument(..., help="A run folder, a sweep folder, or a theory spec (.toml)."),
        out: Path = typer.Option(None, "--out", "-o",
                                 help="HTML file to write (default: SOURCE/report.html; theory: SPEC.html)."),
        figures: Path = typer.Option(None, "--figures", help="Also write static figures (matplotlib) to this folder."),
        fmt: str = typer.Option("png", "--format", help="Static figure format: png | svg | pdf."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """One self-contained interactive HTML report (no network needed to view it): training curves
        with a step scrubber, weight heatmaps, spectra, IPR and pruning for a run; a clickable phase
        diagram for a sweep; E_gen/E_mem vs α with a λ slider for a theory spec."""
        summary = make_report(source, out, figures, fmt, progress=not quiet)
        emit(summary, as_json, title=f"{summary['kind']} report")
        if not as_json:
            say(f"report: {summary['report']}  ({summary['bytes'] / 1e6:.2f} MB, open it in a browser)")
