"""``rulesfacts report``: one self-contained HTML explorer (and optional static figures) for a run
folder, a sweep folder or a theory spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, say


def demo_report(run_dir: Path) -> dict[str, Any]:
    """The demo's last step (a ``DEMO_EXTRAS`` hook): RUN_DIR/report.html, path printed."""
    from rulesfacts.report.html import REPORT_NAME, build_report

    summary = build_report(Path(run_dir), Path(run_dir) / REPORT_NAME)
    say(f"interactive report: {summary['report']}  (open it in a browser; works offline)")
    return {"report": summary["report"]}


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        sources: list[Path] = typer.Argument(..., help="A run folder, a sweep folder, or a theory spec (.toml); "
                                             "two run folders: one page comparing them on one scrubber."),
        out: Path = typer.Option(None, "--out", "-o",
                                 help="HTML file to write (default: SOURCE/report.html; theory: SPEC.html; "
                                      "two runs: compare.html)."),
        figures: Path = typer.Option(None, "--figures", help="Also write static figures (matplotlib) to this folder."),
        fmt: str = typer.Option("png", "--format", help="Static figure format: png | svg | pdf."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """One self-contained interactive HTML report (no network needed to view it): training curves
        with a step scrubber, weight heatmaps, spectra, IPR and pruning for a run; a clickable phase
        diagram for a sweep; E_gen/E_mem vs α with a λ slider for a theory spec; two runs side by side
        on one scrubber for RUN_A RUN_B."""
        from rulesfacts.errors import ConfigError
        from rulesfacts.report.html import build_compare, build_report

        if len(sources) > 2:
            raise ConfigError("SOURCES", len(sources), "one source, or two run folders to compare")
        if len(sources) == 2:
            if figures is not None:
                raise ConfigError("figures", str(figures), "no --figures with two runs (static figures are per run)")
            summary = build_compare(sources, out, progress=not quiet)
        else:
            summary = build_report(sources[0], out, figures=figures, fmt=fmt, progress=not quiet)
        emit(summary, as_json, title=f"{summary['kind']} report")
        if not as_json:
            say(f"report: {summary['report']}  ({summary['bytes'] / 1e6:.2f} MB, open it in a browser)")
