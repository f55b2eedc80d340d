"""The Ray executor on a local Ray instance started by the test: the same table as local."""

import pandas as pd
import pytest

from rulesfacts.sweep import load_results, run_sweep
from tests.sweep.conftest import comparable, tiny_spec

ray = pytest.importorskip("ray")


@pytest.mark.ray
@pytest.mark.slow  # starting Ray and its workers takes ~10-20 s
def test_ray_sweep_gives_the_local_table(tmp_path):
    spec = tiny_spec(max_ensemble=2)  # 4 groups: several Ray tasks
    local = run_sweep(spec, tmp_path / "local", progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_sweep(spec, tmp_path / "ray", executor="ray", progress=False)
        assert ray.is_initialized()  # an instance the caller started is left running
    finally:
        ray.shutdown()
    assert remote["executor"] == "ray" and remote["groups"] == local["groups"] == 4
    assert remote["runs_done"] == 8
    pd.testing.assert_frame_equal(comparable(load_results(tmp_path / "local")),
                                  comparable(load_results(tmp_path / "ray")), check_exact=True)
    again = run_sweep(spec, tmp_path / "ray", executor="ray", progress=False)  # nothing left: no Ray start
    assert again["runs_trained"] == 0
