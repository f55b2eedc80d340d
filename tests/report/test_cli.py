"""``rulesfacts report`` end to end through the CLI's ``main`` (in-process: a subprocess per test
would spend most of its time importing torch)."""

import json
from dataclasses import dataclass

import pytest

from rulesfacts.cli.main import main
from tests.report.conftest import needs_theory

PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    def run(*args):
        capsys.readouterr()
        try:
            main(["report", *map(str, args)])
            code = 0
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def test_run_report_json_and_figures(cli, trained_run, tmp_path):
    out, figs = tmp_path / "r.html", tmp_path / "figs"
    r = cli(trained_run, "-o", out, "--figures", figs, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)  # exactly one JSON object on stdout
    assert r.stdout.count("\n") == 1
    assert summary["kind"] == "run" and summary["report"] == str(out) and out.stat().st_size == summary["bytes"]
    names = sorted(p.rsplit("/", 1)[1] for p in summary["figures"])
    assert names == ["run-curves.png", "run-ipr.png", "run-prune.png", "run-spectrum.png", "run-weights.png"]
    for p in summary["figures"]:
        with open(p, "rb") as f:
            assert f.read(8) == PNG


def test_default_output_is_inside_the_run_folder(cli, analytic_run):
    r = cli(analytic_run, "--json", "-q")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["report"] == str(analytic_run / "report.html")
    assert (analytic_run / "report.html").is_file()


def test_sweep_report_svg_figures(cli, tiny_sweep, tmp_path):
    r = cli(tiny_sweep, "-o", tmp_path / "s.html", "--figures", tmp_path, "--format", "svg", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["kind"] == "sweep" and {p.rsplit("/", 1)[1] for p in s["figures"]} == {"sweep-phases.svg",
                                                                                   "sweep-test_acc.svg"}
    assert (tmp_path / "sweep-phases.svg").read_text().lstrip().startswith("<?xml")


@needs_theory
def test_theory_report_next_to_its_spec(cli, theory_spec):
    r = cli(theory_spec, "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["kind"] == "theory" and s["report"] == str(theory_spec.with_suffix(".html"))


@pytest.mark.parametrize("args,msg", [
    (["{tmp}"], "not a run folder"),
    (["{tmp}/missing"], "not found"),
    (["{run}", "-o", "{tmp}"], "is a folder"),
    (["{run}", "--figures", "{tmp}/f", "--format", "gif"], "format='gif'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(cli, args, msg, analytic_run, tmp_path):
    before = sorted(tmp_path.rglob("*"))
    r = cli(*[a.format(tmp=tmp_path, run=analytic_run) for a in args], "--json")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and msg in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(tmp_path.rglob("*")) == before


def test_help(cli):
    r = cli("--help")
    assert r.returncode == 0 and "sweep folder" in r.stdout and "--figures" in r.stdout



def test_demo_hook_writes_the_report_and_prints_its_path(analytic_run, capsys):
    from rulesfacts.cli.report import demo_report
    from rulesfacts.cli.train import DEMO_EXTRAS

    assert any(f.__name__ == "_report_extra" for f in DEMO_EXTRAS)
    extra = demo_report(analytic_run)
    assert extra == {"report": str(analytic_run / "report.html")}
    assert (analytic_run / "report.html").stat().st_size > 0
    assert "interactive report: " in capsys.readouterr().err


def test_two_runs_make_one_compare_page(cli, trained_run, analytic_run, tiny_sweep, tmp_path):
    out = tmp_path / "cmp.html"
    r = cli(trained_run, analytic_run, "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["kind"] == "compare" and summary["source"] == [str(trained_run), str(analytic_run)]
    assert out.stat().st_size == summary["bytes"]
    page = out.read_text()
    assert '"kind":"compare"' in page and page.count('"kind":"run"') == 2
    cases = (((trained_run, tiny_sweep), "only run folders"), ((trained_run, analytic_run, trained_run), "SOURCES"))
    for bad, word in cases:
        target = tmp_path / "bad.html"
        r = cli(*bad, "-o", target)
        assert r.returncode == 2 and word in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and not target.exists()
