"""The benchmark's clocks and FLOP accounting (``rulesfacts.bench.trainer``)."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from rulesfacts.bench.trainer import BaselineClock, TrainerClock, reference_configs, useful_flops
from rulesfacts.tasks import n_examples, train_count
from rulesfacts.training.steps import AutogradStep, HandWrittenStep


def test_useful_flops_at_the_reference_size_is_1_4_gflop_per_model_epoch():
    """p = 97, N = 500, α = 0.5: n = 4704 training examples, 6nNC + 3nN for the epoch and the test
    forward (2·n_test·N·C + n_test·N) every 10 epochs."""
    cfg = reference_configs(97, 500, 1, 0.5, 10)[0]
    assert useful_flops(cfg) == pytest.approx(1.42e9, rel=0.01)


def test_useful_flops_output_layer_matches_torch_flop_counter():
    """torch's FLOP counter on the baseline's forward + backward counts the one-hot layer as
    4·n·2p·N (forward and weight gradient) and the output layer as 6·n·N·C: the useful FLOPs must
    be that output layer plus the 3·n·N adds of the gather and its scatter, and the test forward
    without its one-hot product (plus the gather's n_test·N adds) every ``log_every`` epochs."""
    cfg = reference_configs(11, 16, 1, 0.5, 10)[0]
    clock = BaselineClock(cfg)
    n, p, width = clock.x.shape[0], cfg.p, cfg.width
    assert n == train_count(cfg)
    with FlopCounterMode(display=False) as counter:
        clock.loss(clock.model(clock.x), clock.target).backward()
    train = counter.get_total_flops() - 4 * n * 2 * p * width + 3 * n * width
    n_test = clock.x_test.shape[0]
    assert n_test == n_examples(cfg) - n
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        clock.model(clock.x_test)
    test = counter.get_total_flops() - 2 * n_test * 2 * p * width + n_test * width
    assert useful_flops(cfg) == pytest.approx(train + test / 10)


def test_trainer_clock_takes_the_step_it_is_given():
    """The block size and the step path reach the trainer as arguments (no module constant patched)."""
    cfgs = reference_configs(7, 8, 2, 0.5, 10)
    clock = TrainerClock(cfgs, step=HandWrittenStep(block_elems=2**6))
    assert clock.trainer.model.hand_written().block_elems == 2**6
    assert isinstance(TrainerClock(cfgs, step=AutogradStep()).trainer.step_path, AutogradStep)
    assert TrainerClock(cfgs).trainer.model.hand_written().block_elems == HandWrittenStep().block_elems


def test_a_model_epoch_is_charged_its_share_of_the_log_pass():
    """(log + the epoch after it + (k − 1) plain epochs) / k, per member: counted in calls."""
    cfgs = reference_configs(7, 8, 4, 0.5, 5)
    clock = TrainerClock(cfgs)
    calls = {"log": 0, "epoch": 0}
    clock.log = lambda: calls.__setitem__("log", calls["log"] + 1)
    clock.epoch_step = lambda: calls.__setitem__("epoch", calls["epoch"] + 1)
    assert clock.seconds_per_model_epoch(3) > 0
    assert calls == {"log": 1, "epoch": 4}
