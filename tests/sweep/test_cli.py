"""`rulesfacts sweep` and `rulesfacts phase`: --help, the --json contract, one-line errors."""

import json

import pytest

from rulesfacts.sweep.spec import spec_to_toml
from tests.cli_helpers import run_cli
from tests.sweep.conftest import tiny_spec


@pytest.mark.parametrize("cmd", ["sweep", "phase"])
def test_help(cmd, capsys):
    code, out, _ = run_cli([cmd, "--help"], capsys)
    assert code == 0 and "--json" in out


def test_sweep_then_phase_json(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(spec_to_toml(tiny_spec()))
    sweep_dir = tmp_path / "sw"
    code, out, _ = run_cli(["sweep", str(spec), "--out", str(sweep_dir), "--set", "epochs=20",
                            "--axis", "seed=0,1", "--json", "-q"], capsys)
    assert code == 0
    s = json.loads(out)
    assert {"runs_total", "runs_done", "runs_skipped", "seconds", "table"} <= s.keys()
    assert s["runs_total"] == s["runs_done"] == 16 and s["table"].endswith("results.sqlite")
    code, out, _ = run_cli(["phase", str(sweep_dir), "--json"], capsys)
    p = json.loads(out)
    assert code == 0 and p["runs"] == 16 and p["panel"] == ["wd"]
    assert sum(sum(c.values()) for c in p["panels"].values()) == 8  # cells, seeds merged
    code, out, _ = run_cli(["phase", str(sweep_dir), "--metric", "test_acc", "--json"], capsys)
    assert code == 0 and (sweep_dir / "heatmap-test_acc.png").is_file()
    code, out, _ = run_cli(["sweep", "small", "--dry-run", "--json"], capsys)
    assert code == 0 and json.loads(out)["runs_total"] == 324


@pytest.mark.parametrize("args, needle", [
    (["sweep", "no-such-preset"], "spec="),
    (["sweep", "small", "--set", "width=0", "--dry-run"], "width=0"),
    (["sweep", "small", "--axis", "nope=1,2", "--dry-run"], "axes.nope"),
    (["sweep", "small", "--executor", "slurm", "--set", "epochs=1"], "executor"),
    (["phase", "/nonexistent/sweep"], "results.sqlite"),
])
def test_bad_input_is_one_line_exit_2(args, needle, capsys, tmp_path):
    code, out, err = run_cli(args + (["--out", str(tmp_path / "o")] if args[0] == "sweep" else []), capsys)
    assert code == 2 and out == ""
    assert err.startswith("error:") and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "results.sqlite").exists()
