"""The tied model on PAIR's fixed circular embedding (``embed = "circle"``): the embedding is the
closed form, stays fixed through training, the forward pass is the formula, and a hand-built
five-neuron network computes a + b mod p on every pair."""

import math

import numpy as np
import pytest
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.models import build_model
from rulesfacts.models.tied import circle_embedding
from rulesfacts.tasks import make_split
from rulesfacts.training import lineage, rundir
from rulesfacts.training.evaluate import evaluate
from rulesfacts.training.trainer import Trainer, train
from tests.cli_helpers import run_cli
from tests.tolerance import U_FLOAT32, assert_within, gamma

CIRCLE = TrainConfig(model="tied", embed="circle", p=7, d_embed=2, width=5, act="relu", loss="ce", train_frac=0.6,
                     fact_frac=0.0, lr=1e-2, wd=0.5, device="cpu")


def _model(cfgs):
    split = make_split(cfgs[0])
    return build_model(cfgs, split, torch.device("cpu")), split


@pytest.mark.parametrize("p", [3, 7, 67])
def test_the_circle_is_the_closed_form_with_orthonormal_columns(p):
    e = circle_embedding(p).numpy().astype(np.float64)
    n = np.arange(p)
    exact = math.sqrt(2 / p) * np.stack([np.cos(2 * np.pi * n / p), np.sin(2 * np.pi * n / p)], axis=1)
    # computed in float64 and rounded once to float32: within u·|x| of the closed form
    assert_within(e, exact, U_FLOAT32 * np.abs(exact) + 1e-15, "circle embedding")
    # EᵀE = I: each entry within u of its size, so each product within 2u of its size, and the float64
    # sum of p products (Σ|terms| ≤ 1) within 2u + γ_p(u_64) of the exact 0 or 1
    tol = 2 * U_FLOAT32 + gamma(p, 2.0**-53)
    assert_within(e.T @ e, np.eye(2), tol, "EᵀE")


def test_the_embedding_is_not_trained_nor_decayed():
    """wd 0.5 for 30 epochs would shrink a parameter by (1 − lr·wd)^30 ≈ 0.86 on its own."""
    trainer = Trainer([CIRCLE.replace(epochs=30, log_every=10)])
    assert set(dict(trainer.model.named_parameters())) == {"params.W_in", "params.W_out"}
    assert [tuple(p.shape) for p in trainer.opt.params] == [(1, 2, 5), (1, 5, 2)]
    assert "circle" not in trainer.model.state_dict()  # rebuilt from p: not in checkpoints
    w0 = {k: v.copy() for k, v in trainer.model.member_weights(0).items()}
    result = trainer.fit()[0]
    np.testing.assert_array_equal(result.weights["embed"], circle_embedding(7).numpy())
    np.testing.assert_array_equal(result.weights["embed"], w0["embed"])
    assert not np.array_equal(result.weights["W_in"], w0["W_in"])


def star_weights(k: int = 5) -> dict[str, np.ndarray]:
    """k ReLU neurons that add on the circle. With u_n = √(2/p)·e^{iθn}, θ = 2π/p, the hidden input
    s = u_a + u_b = 2√(2/p)·cos(θ(a − b)/2)·e^{iθ(a+b)/2}: a vector along the angle ψ = θ(a + b)/2
    (or ψ + π when the cosine is negative), whose DOUBLE 2ψ ≡ θ(a + b) (mod 2π) either way is the
    answer's angle. Neuron j reads direction ω_j = 2πj/k (W_in column (cos ω_j, sin ω_j)) and
    writes direction 2ω_j (W_out row): o = |s|·Σ_j max(0, cos(ψ − ω_j))·e^{2iω_j}. Expanding
    max(0, cos x) = Σ_m c_m e^{imx} (c_0 = 1/π, c_±1 = 1/4, c_m = 0 for odd |m| ≥ 3, c_m =
    −(−1)^{m/2}/(π(m² − 1)) for even m), the sum over the k = 5 equally spaced ω_j keeps only
    e^{2iψ}·5·(c_2 + Σ_{l≠0} c_{10l−2}·e^{−10ilψ}): the output angle is 2ψ, off by
    arg(1 + 3π·Σ_{l≠0} c_{10l−2}·e^{−10ilψ}), whose two largest terms (c_8 = −1/(63π),
    c_−12 = −1/(143π)) give at most about 3·(1/63 − 1/143) = 0.027 rad. The logit of class c is
    √(2/p)·|o|·cos(arg o − θc): the argmax is a + b mod p as long as the angle error is under
    half the spacing, π/p (0.047 rad at p = 67). The five W_out rows, visited in order, draw a
    pentagram: PAIR's star."""
    omega = 2 * np.pi * np.arange(k) / k
    return {"W_in": np.stack([np.cos(omega), np.sin(omega)]).astype(np.float32),
            "W_out": np.stack([np.cos(2 * omega), np.sin(2 * omega)], axis=1).astype(np.float32)}


@pytest.mark.parametrize("p", [5, 7, 31, 67])
def test_five_hand_built_neurons_add_every_pair(p):
    cfg = CIRCLE.replace(p=p, train_frac=0.5)
    model, _ = _model([cfg])
    model.load_member_weights(0, star_weights())
    a, b = (g.ravel() for g in np.meshgrid(np.arange(p), np.arange(p), indexing="ij"))
    x = torch.from_numpy(np.stack([a, b + p], axis=1))[None]
    logits = model(x).detach().numpy()[0]
    assert (logits.argmax(axis=1) == (a + b) % p).mean() == 1.0
    # no rounding accident: in every row the best logit beats the next by far more than the float32
    # error of a logit (a sum of 2, a ReLU, a dot of 5 and one of 2: under 20u of the row's scale)
    top2 = np.sort(logits, axis=1)[:, -2:]
    assert np.all(top2[:, 1] - top2[:, 0] > 100 * U_FLOAT32 * np.abs(logits).max(axis=1))


def test_the_default_init_is_fan_in_and_norms_count_the_trained_weights():
    model, _ = _model([CIRCLE.replace(p=11, width=4000)])
    w = model.member_weights(0)
    # W_in ~ N(0, 1/d) with d = 2, W_out ~ N(0, 1/N); sample std within 5/√(2n) (relative)
    for name, std in (("W_in", 1 / math.sqrt(2)), ("W_out", 1 / math.sqrt(4000))):
        assert abs(w[name].std() / std - 1) < 5 / math.sqrt(2 * w[name].size), name
    norms = model.weight_norms().numpy()[0]
    assert norms[0] == pytest.approx(float((w["W_in"].astype(np.float64) ** 2).sum()), rel=1e-5)
    assert norms[1] == pytest.approx(float((w["W_out"].astype(np.float64) ** 2).sum()), rel=1e-5)


def test_a_run_folder_evaluates_continues_and_analyzes(tmp_path):
    from rulesfacts.analysis.pipeline import analyze_run

    cfg = CIRCLE.replace(epochs=20, log_every=5, n_snapshots=2, seed=2, fact_frac=0.2)
    result = train(cfg, tmp_path / "n", progress=False)
    weights = rundir.load_run(tmp_path / "n").weights()
    assert set(weights) == {"embed", "W_in", "W_out"}
    again = evaluate(cfg, weights)
    assert again["test_acc"] == pytest.approx(result.summary["test_acc"])
    assert again["train_acc"] == pytest.approx(result.summary["train_acc"])
    # the checkpointed state continues bit for bit
    train(cfg.replace(epochs=40), tmp_path / "2n", progress=False)
    lineage.continue_run(tmp_path / "n", lineage.continue_config(tmp_path / "n", 40, {}), progress=False)
    wa, wb = rundir.load_npz(tmp_path / "n" / rundir.WEIGHTS), rundir.load_npz(tmp_path / "2n" / rundir.WEIGHTS)
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)
    # the circle is one frequency: all the embedding's non-DC energy is at f = 1
    summary = analyze_run(tmp_path / "n")
    assert summary["top_energy"] == pytest.approx(1.0, abs=1e-9)


def test_bad_combinations_are_refused_in_one_line(capsys):
    with pytest.raises(ConfigError, match="d_embed.*2 for embed=circle"):
        TrainConfig(model="tied", embed="circle", d_embed=3)
    with pytest.raises(ConfigError, match="embed.*learned for model=mlp"):
        TrainConfig(model="mlp", embed="circle", d_embed=2)
    with pytest.raises(ConfigError, match="p.*≥ 3 for embed=circle"):
        TrainConfig(model="tied", embed="circle", d_embed=2, p=2)
    with pytest.raises(ConfigError, match="embed"):
        TrainConfig(model="tied", embed="square", d_embed=2)
    code, out, err = run_cli(["train", "--model", "tied", "--embed", "circle", "--epochs", "1", "--quiet"], capsys)
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "d_embed" in err and "Traceback" not in err


def test_the_preset_is_the_articles_setup():
    from rulesfacts.sweep.spec import expand, load_spec

    cfgs = expand(load_spec("pair-five-neurons"))
    assert len(cfgs) == 6 and {(c.fact_frac, c.seed) for c in cfgs} == {(x, s) for x in (0, 0.1) for s in range(3)}
    c = cfgs[0]
    assert (c.p, c.pairs, c.train_frac, c.embed, c.d_embed, c.width, c.act, c.loss) == \
        (67, "unordered", 0.3, "circle", 2, 5, "relu", "ce")
    assert (c.lr, c.betas, c.wd, c.epochs) == (1e-2, (0.9, 0.98), 1e-3, 15000)
    # CE/p with Adam's ε = 1e-8 is CE with ε·p: Adam divides the p-times-smaller moments back out
    assert c.adam_eps == pytest.approx(67 * 1e-8, rel=1e-3)


def test_a_loss_divided_by_p_is_adams_eps_times_p():
    """Adam's step m̂/(√v̂ + ε): gradients g/p give moments m/p and √v/p, so the step is m̂/(√v̂ + pε),
    the step of the undivided loss with ε·p (decoupled weight decay does not see the loss)."""
    from rulesfacts.training.optim import EnsembleAdamW

    g = torch.Generator().manual_seed(0)
    w0 = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    grads = [torch.randn(2, 3, 4, generator=g, dtype=torch.float64) * 10.0 ** -k for k in range(6)]
    lr, wd = torch.tensor([1e-2, 1e-2], dtype=torch.float64), torch.tensor([1e-3, 1e-3], dtype=torch.float64)
    ends = []
    for scale, eps in ((1 / 67, 1e-8), (1.0, 67e-8)):
        w = torch.nn.Parameter(w0.clone())
        opt = EnsembleAdamW([w], lr, wd, (0.9, 0.98), eps, fused=False)
        for gr in grads:
            w.grad = gr * scale
            opt.step()
        ends.append(w.detach().clone())
    assert not torch.equal(ends[0], w0)
    torch.testing.assert_close(ends[0], ends[1], rtol=1e-12, atol=1e-14)


def test_the_logits_see_only_the_direction_of_the_sum():
    """s = u_a + u_b = 2√(2/p)·cos(π(a − b)/p)·e^{iπ(a+b)/p}: its direction is πj/p with
    j = a + b + p·[cos < 0] (mod 2p), and the network (no biases) is positively homogeneous in s,
    so pairs with one j have logits that are positive multiples of each other, for any weights:
    2p directions, label j mod p, nothing else to store."""
    p = 11
    model, _ = _model([CIRCLE.replace(p=p, width=16, seed=3)])
    a, b = (g.ravel() for g in np.meshgrid(np.arange(p), np.arange(p), indexing="ij"))
    logits = model(torch.from_numpy(np.stack([a, b + p], axis=1))[None]).detach().numpy()[0].astype(np.float64)
    j = (a + b + p * (np.cos(np.pi * (a - b) / p) < 0)) % (2 * p)
    assert len(set(j)) == 2 * p
    for k in range(2 * p):
        rows = logits[j == k]
        unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        # each logit within ~20u of its row's scale (as above): directions equal to 1e-5
        np.testing.assert_allclose(unit, np.broadcast_to(unit[0], unit.shape), atol=1e-5)


def test_reports_name_the_fixed_embedding():
    from rulesfacts.report.task_views import model_line

    assert model_line(CIRCLE) == "tied fixed circle embedding N=5 relu"
    assert model_line(CIRCLE.replace(embed="learned", d_embed=12)) == "tied embedding d=12 N=5 relu"
