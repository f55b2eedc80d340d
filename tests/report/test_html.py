import json
import re

import pytest

from rulesfacts.errors import DataFileError, OutputError
from rulesfacts.report.html import MAX_BYTES, build_report, check_output, embed_json, render_html, report_kind
from rulesfacts.report.run_report import RunReportOptions, run_report_data
from rulesfacts.training.rundir import load_run
from tests.report.conftest import write_fake_run

URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def inlined_data(page: str) -> dict:
    m = re.search(r'<script id="rf-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_report_is_one_self_contained_file(analytic_run, tmp_path):
    out = tmp_path / "r.html"
    summary = build_report(analytic_run, out)
    page = out.read_text()
    assert summary["kind"] == "run" and summary["bytes"] == len(page.encode())
    assert not URL_ATTR.search(page)  # nothing loaded from the network
    assert "<link" not in page and not re.search(r"<script[^>]*\ssrc=", page)
    viewer = page.split('id="rf-data"')[1].split("</script>")[1]
    assert not any(call in viewer for call in ("fetch(", "XMLHttpRequest", "import(", "WebSocket"))
    data = inlined_data(page)
    assert data["kind"] == "run" and len(data["snapshots"]["frames"]) == 4


def test_json_cannot_close_its_script_element():
    text = embed_json({"kind": "run", "title": "</script><script>alert(1)</script> <!--"})
    assert "</script" not in text and "<!--" not in text
    assert json.loads(text)["title"].startswith("</script>")
    page = render_html({"kind": "run", "title": "</script>"})
    assert page.count("</script>") == 2  # the data element's and the viewer's, nothing else


def test_default_size_run_stays_under_the_bound(tmp_path):
    """p = 97, N = 500 and the trainer's default 20 snapshots (the paper's setup and the demo)."""
    frames = tuple(range(0, 1001, 50))[:20]
    write_fake_run(tmp_path, p=97, width=500, frames=frames)
    page = render_html(run_report_data(load_run(tmp_path), RunReportOptions(prune_orders=())))
    assert len(page.encode()) < MAX_BYTES * 0.7


def test_heatmap_budget_bounds_the_frames_of_a_wide_run(tmp_path):
    """40 snapshots of p = 97, N = 500 would be ~10 MB of heatmaps: the budget keeps fewer. Per
    neuron and snapshot: 2p weights in, p out, p//2 + 1 spectrum bytes and 18 float16 numbers
    (norms, cosine fits), all base64 (4/3)."""
    frames = tuple(range(0, 4000, 100))
    write_fake_run(tmp_path, p=97, width=500, frames=frames)
    data = run_report_data(load_run(tmp_path), RunReportOptions(prune_orders=()))
    kept = data["snapshots"]["epochs"]
    per_frame = int(4 / 3 * 500 * (2 * 97 + 97 + 49 + 2 * 18))
    assert kept[0] == 0 and kept[-1] == frames[-1] and len(kept) == 6_000_000 // per_frame
    assert len(render_html(data).encode()) < MAX_BYTES * 0.7


def test_kind_detection_and_clear_errors(analytic_run, tiny_sweep, theory_spec, tmp_path):
    assert report_kind(analytic_run) == "run"
    assert report_kind(tiny_sweep) == "sweep"
    assert report_kind(theory_spec) == "theory"
    with pytest.raises(DataFileError, match="not a run folder"):
        report_kind(tmp_path)
    with pytest.raises(DataFileError, match="not found"):
        report_kind(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataFileError):
        report_kind(tmp_path / "notes.txt")
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(ValueError):
        render_html({"kind": "movie"})
