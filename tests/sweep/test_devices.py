"""Sweeps on GPUs, planned on the CPU: group sizes from memory, one worker per GPU, GPU slots, Ray
resources; and the memory estimate against a measured peak."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from rulesfacts.config.train import TrainConfig, ensemble_key
from rulesfacts.errors import ConfigError
from rulesfacts.sweep import executor as ex
from rulesfacts.sweep import load_results, run_sweep
from rulesfacts.sweep.spec import ExecutionConfig, expand, load_spec, parse_spec
from tests.sweep.conftest import comparable, tiny_spec

H200 = ex.Devices("cuda", 1, 143_771)  # MB, as torch reports one H200


def caps(devices, exe=ExecutionConfig()):
    return ex.group_caps(devices, exe.max_ensemble, exe.max_memory_mb, exe.gpu_max_ensemble, exe.gpu_memory_fraction)


def test_paper_grid_on_one_gpu_is_one_ensemble_per_training_fraction():
    spec = load_spec("paper-wd")
    cfgs = expand(spec)
    exe = spec.execution
    gpu = ex.plan_groups(cfgs, *caps(H200, exe))
    cpu = ex.plan_groups(cfgs, *caps(ex.Devices(), exe))
    # 17 training fractions fix 17 shapes; each holds 17 ξ × 4 wd = 68 runs, all in one group on the GPU
    assert len(gpu) == 17 and all(len(g) == 68 for g in gpu)
    assert all(len({ensemble_key(cfgs[i]) for i in g}) == 1 for g in gpu)
    # the CPU's caps: at most max_ensemble members and max_memory_mb of estimated memory
    size = min(exe.max_ensemble, exe.max_memory_mb * 2**20 // ex.member_bytes(cfgs[0]))
    assert max(len(g) for g in cpu) == size < 68 and len(cpu) == 17 * -(-68 // size)


def test_gpu_groups_are_capped_by_the_gpus_memory_and_the_setting():
    cfgs = [TrainConfig(p=97, width=500, seed=s) for s in range(300)]
    per = ex.member_bytes(cfgs[0])
    small_gpu = ex.Devices("cuda", 1, 4096)
    max_members, max_mb = caps(small_gpu)
    assert max_mb == 2048  # half of the card by default
    groups = ex.plan_groups(cfgs, max_members, max_mb)
    assert max(len(g) for g in groups) == (2048 * 2**20) // per
    capped = ex.plan_groups(cfgs, *caps(H200, ExecutionConfig(gpu_max_ensemble=100)))
    assert [len(g) for g in capped] == [100, 100, 100]
    unknown = ex.Devices("cuda")  # a Ray cluster's GPUs seen from a driver without one
    assert caps(unknown) == (ExecutionConfig().gpu_max_ensemble, ExecutionConfig().max_memory_mb)


def test_one_worker_per_gpu_each_on_its_own():
    assert ex.default_workers(ex.Devices("cuda", 4, 80_000), cpu_workers=32) == 4
    assert ex.default_workers(ex.Devices(), cpu_workers=32) == 32
    assert ex.gpu_slots(4, 4) == ["0", "1", "2", "3"]
    assert ex.gpu_slots(3, 2) == ["0", "1", "0"]  # more workers than GPUs (--workers): in turn
    assert ex.gpu_slots(2, 2, visible="3, 5") == ["3", "5"]  # named as this process sees them
    assert ex.ray_resources(2, ex.Devices("cuda", 8, 80_000)) == {"num_cpus": 2, "num_gpus": 1}
    assert ex.ray_resources(1, ex.Devices()) == {"num_cpus": 1}


def test_devices_of_a_sweep_on_this_machine():
    cpu = [TrainConfig(device="cpu")]
    assert ex.sweep_devices(cpu) == ex.Devices()
    if ex.sweep_devices([TrainConfig(device="auto")]).cuda:
        pytest.skip("this machine has a GPU")
    assert ex.sweep_devices([TrainConfig(device="auto")]) == ex.Devices()
    with pytest.raises(ConfigError, match="device"):
        ex.sweep_devices([TrainConfig(device="cuda")])
    assert ex.sweep_devices([TrainConfig(device="cuda")], "ray") == ex.Devices("cuda")


def test_cuda_sweep_without_a_gpu_fails_before_writing(tmp_path):
    if ex.sweep_devices([TrainConfig(device="auto")]).cuda:
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="device"):
        run_sweep(parse_spec({"name": "gpu", "base": {"p": 7, "width": 16, "device": "cuda"},
                              "axes": {"wd": [0, 5]}}), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_sweep_plans_for_the_gpus_it_is_given(tmp_path, monkeypatch):
    """With two (pretend) GPUs the sweep asks for two workers, one per GPU, and groups sized by
    memory; the groups then run here on the CPU and give the table of a CPU sweep."""
    seen = {}
    plain_run_local = ex.run_local

    def run_local(jobs, workers, threads, gpus=0):
        seen.update(workers=workers, gpus=gpus, sizes=sorted(len(j[0]) for j in jobs))
        return plain_run_local(jobs, 1, threads)

    spec = tiny_spec(max_ensemble=1)  # the CPU cap: one run per group
    cpu = run_sweep(spec, tmp_path / "cpu", progress=False)
    monkeypatch.setattr(ex, "sweep_devices", lambda cfgs, executor="local": ex.Devices("cuda", 2, 16_000))
    monkeypatch.setattr(ex, "run_local", run_local)
    gpu = run_sweep(spec, tmp_path / "gpu", progress=False, workers=2)
    assert seen == {"workers": 2, "gpus": 2, "sizes": [4, 4]}  # the GPU ignores the CPU's cap of 1
    assert gpu["device"] == "cuda" and gpu["gpus"] == 2 and gpu["groups"] == 2 and cpu["groups"] == 8
    a, b = comparable(load_results(tmp_path / "cpu")), comparable(load_results(tmp_path / "gpu"))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5, atol=1e-7)


MEASURE = """
import json, torch
from rulesfacts.bench.machine import proc_status_kb
from rulesfacts.config.train import TrainConfig
from rulesfacts.training.steps import DeviceStep
from rulesfacts.training.trainer import Trainer
torch.set_num_threads(1)
before = proc_status_kb("VmRSS")
cfgs = [TrainConfig(p=97, width=500, train_frac={frac}, seed=s, epochs=3, log_every=1, n_snapshots=0,
                    device="cpu") for s in range({m})]
Trainer(cfgs, step=DeviceStep()).fit()
print(json.dumps((proc_status_kb("VmHWM") - before) * 1024))
"""


def test_member_bytes_bounds_the_measured_peak_of_the_one_block_path():
    """The estimate that sizes GPU groups is an upper bound of what the GPU layout (one block of
    every member, log passes included) holds at its peak, measured on the CPU: the process's peak
    resident memory, less what it held before building the trainer (torch's own). α = 0.9 is the
    tightest case (most training rows per example of the data set; measured 327 of 639 MB)."""
    m, frac = 4, 0.9
    code = MEASURE.format(frac=frac, m=m)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    estimate = m * ex.member_bytes(TrainConfig(p=97, width=500, train_frac=frac))
    assert 0 < measured <= estimate
