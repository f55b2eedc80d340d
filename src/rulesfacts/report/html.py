"""One self-contained HTML file per report: the data as inlined JSON, the viewer (report.js,
report.css, written for this project) inlined too. No URL is fetched when the page is viewed,
so a report opens from disk, offline, years later.

``build_report(source, out)`` looks at ``source`` and picks the report: a run folder
(config.json + metrics.csv), a sweep folder (results.sqlite) or a theory spec (.toml file); two
run folders give one page comparing them on one scrubber. It is what ``rulesfacts report`` runs.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from rulesfacts.errors import ConfigError, DataFileError, OutputError
from rulesfacts.io import ensure_writable_dir, json_default, write_text
from rulesfacts.runtime import package_version
from rulesfacts.runtime import progress as progress_bar

KINDS = ("run", "sweep", "theory", "compare")
FIGURE_FORMATS = ("png", "svg", "pdf")
REPORT_NAME = "report.html"
MAX_BYTES = 10 * 1024 * 1024  # the bound for default runs; larger reports are still written

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rulesfacts {version}">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<main id="app"></main>
<noscript>This report draws its figures with JavaScript; please enable it.</noscript>
<script id="rf-data" type="application/json">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""


def asset(name: str) -> str:
    """The text of a viewer file shipped in ``report/assets/`` (package data)."""
    return resources.files("rulesfacts.report").joinpath("assets", name).read_text(encoding="utf-8")


def embed_json(data: dict[str, Any]) -> str:
    """``data`` as compact JSON that cannot end the <script> element it sits in."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, default=json_default, ensure_ascii=False)
    return text.replace("<", "\\u003c")  # "<" occurs only inside JSON strings, where this escape is valid


def render_html(data: dict[str, Any]) -> str:
    """The full page for a report's data dict (its ``kind`` picks the view)."""
    if data.get("kind") not in KINDS:
        raise ValueError(f"report data needs kind in {KINDS}, got {data.get('kind')!r}")
    version = package_version()
    data = {**data, "version": version}
    return PAGE.format(version=version, title=html.escape(str(data.get("title", "rulesfacts report"))),
                       css=asset("report.css"), js=asset("report.js"), data=embed_json(data))


def report_kind(source: Path) -> str:
    """'run', 'sweep' or 'theory' from what ``source`` holds; a clear error for anything else."""
    source = Path(source)
    if source.is_dir():
        if (source / "results.sqlite").is_file():
            return "sweep"
        if (source / "config.json").is_file() and (source / "metrics.csv").is_file():
            return "run"
        raise DataFileError(source, "not a run folder (config.json + metrics.csv) nor a sweep folder (results.sqlite)")
    if source.is_file() and source.suffix == ".toml":
        return "theory"
    if not source.exists():
        raise DataFileError(source, "not found (expected a run folder, a sweep folder or a theory spec .toml)")
    raise DataFileError(source, "not a run folder, a sweep folder or a theory spec (.toml file)")


def compare_data(sources: list[Path], tick: Callable[[], None] | None = None) -> dict[str, Any]:
    """Two (or more) run reports side by side: the page moves them with one scrubber."""
    from rulesfacts.report.run_report import run_report_data
    from rulesfacts.training.rundir import load_run

    runs = [run_report_data(load_run(s), tick=tick) for s in sources]
    names = " vs ".join(Path(s).name for s in sources)
    return {"kind": "compare", "title": f"rulesfacts compare: {names}", "runs": runs}


def report_data(source: Path, kind: str, tick: Callable[[], None] | None = None,
                out: Path | None = None) -> dict[str, Any]:
    if kind == "run":
        from rulesfacts.report.run_report import run_report_data
        from rulesfacts.training.rundir import load_run

        return run_report_data(load_run(source), tick=tick)
    if kind == "sweep":
        from rulesfacts.report.sweep_report import sweep_report_data

        return sweep_report_data(source, on_run=tick, link_from=out.parent if out is not None else None)
    from rulesfacts.report.theory_report import load_theory_spec, theory_report_data

    return theory_report_data(load_theory_spec(source), on_curve=tick)


def check_output(out: Path) -> Path:
    """Fail before any work if ``out`` cannot be written (a folder, or an unwritable parent)."""
    out = Path(out)
    if out.is_dir():
        raise OutputError(out, "it is a folder; give a file name such as report.html")
    ensure_writable_dir(out.parent if str(out.parent) else Path("."))
    return out


def write_report(data: dict[str, Any], out: Path | str) -> dict[str, Any]:
    """Render ``data`` and write it to ``out`` atomically; return the file's path and size."""
    page = render_html(data)
    write_text(Path(out), page)
    size = len(page.encode("utf-8"))
    return {"report": str(out), "kind": data["kind"], "bytes": size, "within_size_bound": size < MAX_BYTES}


def work_units(source: Path, kind: str) -> int:
    """Steps of ``report_data`` for the progress bar: runs of a sweep, (ε, λ) curves of a theory
    spec, snapshots + pruning curves of a run."""
    if kind == "sweep":
        from rulesfacts.sweep.store import load_results

        return len(load_results(source))
    if kind == "theory":
        from rulesfacts.report.theory_report import load_theory_spec

        spec = load_theory_spec(source)
        return len(spec.fact_frac) * len(spec.lam)
    from rulesfacts.report.run_report import RunReportOptions
    from rulesfacts.training.rundir import load_run

    opts = RunReportOptions()
    return min(len(load_run(source).snapshot_epochs()), opts.max_snapshots) + len(opts.prune_orders)


def build_compare(sources: list[Path | str], out: Path | str | None = None, *,
                  progress: bool = False) -> dict[str, Any]:
    """Write one page with the runs of ``sources`` (run folders) side by side on one scrubber
    (default output: compare.html in the current folder)."""
    t0 = time.perf_counter()
    sources = [Path(s) for s in sources]
    for s in sources:
        if report_kind(s) != "run":
            raise DataFileError(s, "only run folders can be compared (config.json + metrics.csv)")
    out = check_output(Path(out) if out is not None else Path("compare.html"))
    with progress_bar(sum(work_units(s, "run") for s in sources), "compare report", progress) as tick:
        data = compare_data(sources, tick)
    return {**write_report(data, out), "source": [str(s) for s in sources],
            "seconds": round(time.perf_counter() - t0, 2)}


def build_report(source: Path | str, out: Path | str | None = None, *, figures: Path | str | None = None,
                 fmt: str = "png", progress: bool = False) -> dict[str, Any]:
    """Write the report of ``source`` to ``out`` atomically (default: SOURCE/report.html for a run
    or sweep, SPEC.html beside a theory spec) and, with ``figures``, the matching static figures
    in format ``fmt``. Everything is checked before any work; returns a summary dict."""
    if fmt not in FIGURE_FORMATS:
        raise ConfigError("format", fmt, f"one of {', '.join(FIGURE_FORMATS)}")
    t0 = time.perf_counter()
    source = Path(source)
    kind = report_kind(source)
    default = source.with_suffix(".html") if kind == "theory" else source / REPORT_NAME
    out = check_output(Path(out) if out is not None else default)
    if figures is not None:
        ensure_writable_dir(Path(figures))
    with progress_bar(work_units(source, kind), f"{kind} report", progress) as tick:
        data = report_data(source, kind, tick, out)
    summary = {**write_report(data, out), "source": str(source)}
    if figures is not None:
        from rulesfacts.report.figures import write_figures

        summary["figures"] = [str(p) for p in write_figures(data, Path(figures), fmt)]
    return {**summary, "seconds": round(time.perf_counter() - t0, 2)}
