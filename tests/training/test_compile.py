"""``compile=True`` (torch.compile of the autograd path) trains the same network as eager."""

import pytest

from rulesfacts import TrainConfig, train
from rulesfacts.tasks import make_split


@pytest.mark.parametrize("changes", [{"batchnorm": True, "batch_size": 32}, {"dropout": 0.2}])
def test_compiled_autograd_path_matches_eager(changes, tmp_path):
    base = TrainConfig(p=11, width=24, epochs=20, log_every=5, fact_frac=0.3, seed=1, **changes)
    eager = train(base, tmp_path / "eager", progress=False)
    compiled = train(base.replace(compile=True), tmp_path / "compiled", progress=False)
    assert len(eager.metrics) == len(compiled.metrics) == 5  # epochs 0, 5, 10, 15, 20
    n_train = make_split(base).n_train
    for a, b in zip(eager.metrics, compiled.metrics, strict=True):
        # same graph, fused kernels: equal up to float32 reassociation over 20 epochs (a whole
        # run: an allowance, not a bound; ~10⁴× the relative differences measured, 7e-8), and at
        # most one near-tied example may change its argmax
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-3)
        assert b["test_loss"] == pytest.approx(a["test_loss"], rel=1e-3)
        assert b["train_acc"] == pytest.approx(a["train_acc"], abs=1.5 / n_train)


def test_compile_is_how_not_what(tmp_path):
    # compiled or not, it is the same run: equal configs, one sweep run id, and a folder trained
    # eager is taken as done (or resumed) by a compiled rerun, as is a checkpoint written before
    # the field existed
    from rulesfacts.sweep.spec import run_id
    from rulesfacts.training.runfolder import config_diff

    cfg = TrainConfig(p=11, width=16, epochs=10, log_every=5, batchnorm=True, batch_size=16)
    assert cfg == cfg.replace(compile=True) and run_id(cfg) == run_id(cfg.replace(compile=True))
    old_checkpoint = {k: v for k, v in cfg.to_dict().items() if k != "compile"}
    assert config_diff(old_checkpoint, cfg.replace(compile=True).to_dict()) is None
    assert config_diff(cfg.to_dict(), cfg.replace(epochs=11).to_dict()) == ("epochs", 10, 11)
    first = train(cfg, tmp_path / "run", progress=False)
    again = train(cfg.replace(compile=True), tmp_path / "run", progress=False, resume=True)
    assert again.metrics == first.metrics


def test_compile_without_a_cpp_compiler_is_one_config_error(tmp_path, monkeypatch):
    # inductor would fail deep inside torch at the first step; we say it before making any folder
    import shutil

    from rulesfacts.errors import ConfigError

    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="compile.*C\\+\\+ compiler"):
        train(TrainConfig(p=11, width=16, epochs=5, compile=True), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
