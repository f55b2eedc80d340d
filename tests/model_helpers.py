"""An ensemble and its autograd gradients: the slow, obviously-right reference that the hand-written
and compiled gradients are checked against."""

import numpy as np
import torch

from rulesfacts.models import build_model
from rulesfacts.tasks import make_split
from rulesfacts.train.losses import member_loss


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
