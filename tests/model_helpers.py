"""An ensemble and its autograd gradients: the slow, obviously-right reference that the hand-written
and compiled gradients are checked against; and the exact logits and gradients with the rounding
bound any float32 (or bf16-autocast) computation of them obeys (``tests/tolerance.py``)."""

import numpy as np
import torch

from rulesfacts.models import build_model
from rulesfacts.tasks import make_split
from rulesfacts.training.losses import member_loss
from tests.tolerance import FUNC_ULPS, GELU_CURV, Bounded, scatter_add


def ensemble(cfgs):
    """The ensemble model of ``cfgs`` and its stacked training tokens and labels."""
    model = build_model(cfgs, make_split(cfgs[0]), torch.device("cpu"))
    stack = lambda name: torch.from_numpy(np.stack([getattr(make_split(c), name) for c in cfgs]))  # noqa: E731
    return model, stack("x_train"), stack("y_train")


def autograd_grads(model, x, y, loss, bf16=False):
    """(∂L/∂w_in, ∂L/∂w_out) of Σ_members mean loss by autograd (bf16: under autocast)."""
    model.w_in.grad = model.w_out.grad = None
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(x)
    member_loss(logits.float(), y, loss).sum().backward()
    return model.w_in.grad.clone(), model.w_out.grad.clone()


def _start(x, bf16: bool) -> Bounded:
    return Bounded.bfloat16_autocast(x) if bf16 else Bounded.float32(x)


def _act(z: Bounded, act: str) -> Bounded:
    return {"quadratic": Bounded.square, "relu": Bounded.relu, "gelu": Bounded.gelu}[act](z)


def bounded_logits(w_in, w_out, tokens, act: str = "quadratic", bf16: bool = False) -> Bounded:
    """Exact logits (n, C) of one member in the paper's layout — w_in (N, n_in), w_out (C, N),
    token rows (n, 2) of w_in — with the bound on any float32 (or bf16-autocast) forward:
    z = two gathered rows added (one rounding), h = act(z), logits = h W_outᵀ (a length-N sum)."""
    w = _start(np.asarray(w_in).T, bf16)  # (n_in, N)
    tokens = np.asarray(tokens)
    h = _act(w[tokens[:, 0]] + w[tokens[:, 1]], act)
    return h @ _start(np.asarray(w_out).T, bf16)


def bounded_grads(model, x, y, loss: str, bf16: bool = False) -> tuple[Bounded, Bounded]:
    """(∂L/∂w_in, ∂L/∂w_out) of Σ_members mean loss, in the model's layout (M, n_in, N) and
    (M, N, C), as exact values with the bound on any float32 (or bf16-autocast) computation of
    the same formulas (autograd, the hand-written backward, the compiled kernels):
    g = ∂L/∂logits = 2(logits − onehot)/(n·C) (MSE) or (softmax − onehot)/n (CE), ∂L/∂W_out = hᵀg
    (length n), ∂L/∂h = g W_outᵀ (length C), ∂L/∂z = ∂L/∂h ⊙ act'(z), ∂L/∂W_in = the scatter-add
    of ∂L/∂z onto the two token rows."""
    w_in, w_out = model.w_in.detach().numpy(), model.w_out.detach().numpy()
    x, y = np.asarray(x), np.asarray(y)
    m, n = y.shape
    c = w_out.shape[2]
    g_in, g_out = [], []
    for i in range(m):
        w = _start(w_in[i], bf16)
        wo = _start(w_out[i], bf16)
        z = w[x[i, :, 0]] + w[x[i, :, 1]]
        h = _act(z, model.act)
        logits = h @ wo
        onehot = np.eye(c)[y[i]]
        if loss == "mse":
            g = (logits - onehot) * (2.0 / (n * c))
        else:
            g = (logits.softmax(-1) - onehot) * (1.0 / n)
        g_out.append(h.T @ g)
        gh = g @ wo.T
        if model.act == "quadratic":
            gz = gh * (z * 2.0)
        elif model.act == "relu":
            gz = gh * (z.x > 0)
        else:  # GELU'(z) = Φ(z) + z φ(z), itself within a few ulps; GELU'' ≤ 0.8 carries z's error
            from scipy.special import ndtr

            d = ndtr(z.x) + z.x * np.exp(-z.x**2 / 2) / np.sqrt(2 * np.pi)
            gz = gh * d
            gz.e = gz.e + GELU_CURV * np.abs(gh.x) * z.e + FUNC_ULPS * gh.u_acc * np.abs(gz.x)
        g_in.append(scatter_add(w_in.shape[1], np.concatenate([x[i, :, 0], x[i, :, 1]]),
                                gz[np.r_[np.arange(n), np.arange(n)]]))
    stack = lambda parts: parts[0]._new(np.stack([p.x for p in parts]), np.stack([p.e for p in parts]))  # noqa: E731
    return stack(g_in), stack(g_out)


def edited_npz(path, changes: dict) -> dict:
    """The arrays of the npz at ``path`` with ``changes`` applied (a value None: the array left out)."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    return arrays
