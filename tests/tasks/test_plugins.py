"""Tasks as plug-ins: a task is one module (its split, its own fields and rules), found without a
list to edit, whether it sits in ``rulesfacts.tasks`` or in a package of its own that names it
under the entry-point group ``rulesfacts.tasks``."""

from __future__ import annotations

import json
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import rulesfacts.tasks as tasks_package
from rulesfacts.config.train import DataFields, RunFields, TrainConfig
from rulesfacts.tasks import DEFAULT_TASK, REGISTRY, Task

SRC = Path(__file__).resolve().parents[2] / "src"

# A task written outside rulesfacts, the example of docs/own-data.md: the majority vote of `votes`
# inputs ±1, every input once.
PAGE = Path(__file__).resolve().parents[2] / "docs" / "own-data.md"
MAJORITY = re.search(r"```python\n(# mytasks/majority\.py\n.*?)```", PAGE.read_text(), re.DOTALL).group(1)


def plugin_dir(tmp_path: Path, modules: dict[str, str], entry_points: str) -> Path:
    """A folder that, on PYTHONPATH, is an installed distribution with ``entry_points``."""
    root = tmp_path / "site"
    info = root / "mytasks-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mytasks\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for name, text in modules.items():
        (root / f"{name}.py").parent.mkdir(exist_ok=True)
        (root / f"{name}.py").write_text(text)
    return root


# Runs rulesfacts commands in one fresh interpreter (entry points are read when rulesfacts.tasks is
# first imported): [exit code, stdout, stderr] for each.
COMMANDS = """
import contextlib, io, json, sys
from rulesfacts.cli.main import main
out = []
for args in json.loads(sys.argv[1]):
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        try:
            main(args)
            code = 0
        except SystemExit as stop:
            code = int(stop.code or 0)
    out.append([code, o.getvalue(), e.getvalue()])
sys.__stdout__.write(json.dumps(out))
"""


def rulesfacts(site: Path, *commands: list[str]) -> tuple[list[list], str]:
    """The results of ``commands`` and what importing the plug-ins wrote to stderr."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(SRC)])}
    done = subprocess.run([sys.executable, "-c", COMMANDS, json.dumps(commands)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_a_task_of_ones_own_package_is_one_file_and_an_entry_point(tmp_path):
    site = plugin_dir(tmp_path, {"mytasks/majority": MAJORITY}, """
        [rulesfacts.tasks]
        majority = mytasks.majority
    """)
    run = tmp_path / "run"
    trained, analyzed, listed, *refused = rulesfacts(
        site,
        ["train", "--task", "majority", "--votes", "7", "--train-frac", "0.5", "--fact-frac", "0.25", "--width", "32",
         "--epochs", "20", "--log-every", "10", "--device", "cpu", "-o", str(run), "--json", "-q"],
        ["analyze", str(run), "--json", "-q"],
        ["fields", "train", "--json"],
        *(["train", "--task", "majority", "--votes", v, "-o", str(tmp_path / v), "--json"] for v in ("6", "16")))[0]
    assert trained[0] == 0, trained[2]
    s = json.loads(trained[1])
    stored = json.loads((run / "summary.json").read_text())
    # 2^7 = 128 inputs, half of them trained on, a quarter of those are facts
    assert (s["n_train"], stored["n_test"], s["n_facts"]) == (64, 64, 16)
    assert s["status"] == "completed"
    for key in ("train_acc", "clean_acc", "test_acc", "facts_memorized", "facts_recovered"):
        assert 0 <= s[key] <= 1
    assert s["e_gen"] == 1 - s["test_acc"] and s["e_mem"] == 1 - s["facts_memorized"]
    # with two classes a fact is either memorized or recovered
    assert s["facts_memorized"] + s["facts_recovered"] == pytest.approx(1.0, abs=1e-12)
    assert json.loads((run / "config.json").read_text())["config"]["votes"] == 7

    # the task declares where its rule lives, (1, ..., 1): each neuron's alignment is its cosine with it
    assert analyzed[0] == 0, analyzed[2]
    a = json.loads(analyzed[1])
    assert a["alignment"] == "all inputs" and a["n_neurons"] == 32
    # E|cos| of a random direction in 7 dimensions: Γ(7/2) / (√π Γ(4)) = (15/8)√π / (6√π) = 5/16
    assert a["chance_alignment"] == pytest.approx(5 / 16, rel=1e-12)
    with np.load(run / "weights.npz") as w:
        w_in = w["W_in"].astype(np.float64)
    cos = w_in.sum(axis=1) / np.linalg.norm(w_in, axis=1) / np.sqrt(7)
    table = np.genfromtxt(run / "analysis" / "neurons.csv", delimiter=",", names=True)
    np.testing.assert_allclose(table["alignment"], cos, rtol=1e-5, atol=1e-6)

    assert listed[0] == 0, listed[2]
    rows = {r["name"]: r for r in json.loads(listed[1])["configs"]["train"]}
    assert rows["votes"]["default"] == 5 and rows["votes"]["allowed"] == "an integer from 1 to 15"
    assert "majority" in rows["task"]["allowed"]

    for (code, out, err), value, allowed in zip(refused, ("6", "16"), ("an odd number (no ties)",
                                                                       "an integer from 1 to 15"), strict=True):
        assert code == 2 and out == ""
        assert err.strip() == f"error: votes={value} is not allowed: {allowed}"
        assert not (tmp_path / value).exists()


def test_a_plug_in_that_cannot_be_used_is_skipped_with_a_note(tmp_path):
    """A broken plug-in costs a note, not the command: the other tasks still run. A field name
    another task or the core already declares is the plug-in's mistake: its task is skipped and
    the note names the field and who declares it."""
    def renamed(task: str, field: str) -> str:
        return MAJORITY.replace('"majority"', f'"{task}"').replace("votes", field)

    site = plugin_dir(tmp_path, {"broken_task": "raise RuntimeError('no')\n",
                                 "clash_task": renamed("majority2", "k"),  # parity's field k
                                 "run_clash": renamed("majority3", "lr"),  # a core field (model and training)
                                 "data_clash": renamed("majority4", "fact_frac"),  # a core field (data)
                                 "task_clash": renamed("majority5", "task"),  # the field that names the task
                                 "fine": MAJORITY}, """
        [rulesfacts.tasks]
        broken = broken_task
        clash = clash_task:TASK
        run_clash = run_clash
        data_clash = data_clash
        task_clash = task_clash
        fine = fine
    """)
    (code, out, notes), *refused, (trained, trained_out, _) = rulesfacts(
        site, ["fields", "train", "--json"],
        *(["train", "--task", f"majority{i}", "-o", str(tmp_path / f"m{i}"), "--json"] for i in (2, 3, 4, 5)),
        ["train", "--task", "majority", "--votes", "3", "--train-frac", "0.5", "--width", "8", "--epochs", "2",
         "--log-every", "1", "--device", "cpu", "-o", str(tmp_path / "fine"), "--json", "-q"])[0]
    assert code == 0
    names = [r["name"] for r in json.loads(out)["configs"]["train"]]
    # the built-in tasks' fields, unchanged, and the usable plug-in's
    assert [n for n in names if n != "votes"] == [f.name for f in fields(TrainConfig)] and "votes" in names
    assert notes.splitlines() == [
        "note: entry point broken = 'broken_task' (rulesfacts.tasks): cannot be loaded (RuntimeError: no); task "
        "skipped",
        "note: entry point clash = 'clash_task:TASK' (rulesfacts.tasks): its field 'k' is already declared by task "
        "'parity'; task skipped",
        *(f"note: entry point {where} = '{where}' (rulesfacts.tasks): its field {field!r} is already declared by the "
          "core fields; task skipped" for where, field in (("run_clash", "lr"), ("data_clash", "fact_frac"),
                                                          ("task_clash", "task")))]
    for i, (code, out, err) in zip((2, 3, 4, 5), refused, strict=True):  # a skipped task is not a choice
        assert code == 2 and out == "" and not (tmp_path / f"m{i}").exists()
        assert err == f"error: task='majority{i}' is not allowed: one of {', '.join([*REGISTRY, 'majority'])}\n"
    assert trained == 0 and json.loads(trained_out)["status"] == "completed"


def test_every_task_module_of_the_package_is_registered_the_default_first():
    modules = [m.name for m in pkgutil.iter_modules(tasks_package.__path__)]
    defined = {getattr(__import__(f"rulesfacts.tasks.{m}", fromlist=["TASK"]), "TASK", None) for m in modules}
    assert set(REGISTRY.values()) == {t for t in defined if isinstance(t, Task)}
    assert next(iter(REGISTRY)) == DEFAULT_TASK == TrainConfig().task
    assert {"modular", "parity", "raf", "arrays", "images"} <= set(REGISTRY)


def test_every_train_config_field_is_declared_exactly_once():
    """In the core (data or run fields) or by one task, and TrainConfig has no other."""
    owners: dict[str, list[str]] = {}
    for owner, cls in [("data", DataFields), ("run", RunFields),
                       *((t.name, t.fields) for t in REGISTRY.values() if t.fields is not None)]:
        for f in fields(cls):
            owners.setdefault(f.name, []).append(owner)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}
    assert sorted(owners) == sorted(f.name for f in fields(TrainConfig))
    assert owners["p"] == ["modular"] and owners["k"] == ["parity"] and owners["fact_frac"] == ["data"]


def test_a_task_without_sizes_counts_its_drawn_split():
    task = REGISTRY["parity"]
    cfg = TrainConfig(task="parity", train_size=50, test_size=30)
    drawn = Task(task.name, task.split, task.describe)  # no sizes given: read off the split
    assert drawn.counts(cfg) == task.counts(cfg) == (50, 30)
    assert drawn.n_examples(cfg) == 80 and drawn.train_count(cfg) == 50
