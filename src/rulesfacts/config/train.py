"""The one configuration of a training run, validated in one place.

Defaults are the setup of Doshi, Das, He & Gromov ("To grok or not to grok", 2024, Sec. 2):
p = 97, N = 500, quadratic activation, MSE on one-hot targets, AdamW lr 1e-2, betas (0.9, 0.98),
full batch, training fraction α = 0.5 and corruption ξ = 0.35.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from rulesfacts.declare import (
    Choice,
    Config,
    Flag,
    Int,
    Maybe,
    Pair,
    PlainData,
    Real,
    Text,
    how_fields,
    member_fields,
    param,
)
from rulesfacts.tasks import DEFAULT_TASK, REGISTRY, withdraw_plugins_declaring
from rulesfacts.tasks.base import MAX_SIZE

ACTS = ("quadratic", "relu", "gelu", "tanh", "erf", "sign")
MLP_ACTS = ("quadratic", "relu", "gelu")  # the networks; tanh, erf and sign are random-feature maps
RF_ACTS = ("sign", "relu", "tanh", "erf")  # the activations the RAF theory's random features take
LOSSES = ("mse", "ce", "square", "logistic", "hinge")
MARGIN_LOSSES = ("square", "logistic", "hinge")  # g(s·h) of the margin h = logit₁ − logit₀, s = ±1
MODELS = ("mlp", "transformer", "tied", "linear", "rf")
TOKEN_MODELS = ("transformer", "tied")  # read (a, b) token pairs only
CONVEX_MODELS = ("linear", "rf")  # a trained linear readout: fitted to convergence by L-BFGS
EMBEDS = ("learned", "circle")  # the tied model's embedding: trained, or PAIR's fixed circle
FACT_MODES = ("wrong", "uniform")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "bfloat16", "tfloat32")
DROPOUT_POSITIONS = ("pre", "post")
MAX_SEED = 2**63 - 1  # torch seeds the dropout stream with seed + RNG_OFFSET, which must fit 64 bits
SEED = Int(0, MAX_SEED)


@dataclass(frozen=True)
class SharedDataFields:
    """The fields of the data that several tasks read; each task declares its own (``Task.fields``:
    modular p and op, parity n_bits, k and train_size, ...)."""

    train_frac: float = param(0.5, Real(0.0, 1.0, lo_open=True, hi_open=True),
                              "Training fraction α of all pairs (modular), of the data set's training images (images).")
    fact_frac: float = param(0.35, Real(0.0, 1.0, hi_open=True),
                             "Fraction ξ of the training labels replaced by random ones: the facts (ε of the "
                             "Rules-and-Facts model, as in `rulesfacts theory`).", member=True,
                             deprecated=("corrupt", "eps"))
    fact_mode: str = param("wrong", Choice(FACT_MODES),
                           "wrong: a fact's label is never the true one; uniform: any label (the paper). Two-class "
                           "tasks: parity flips each fact, raf draws it ±1 at random (the RAF model).",
                           member=True, deprecated=("corrupt_mode",))
    data_seed: int | None = param(None, Maybe(SEED, "the value of seed"), "Seed of the split and the facts.",
                                  member=True)
    test_size: int = param(2000, Int(1, MAX_SIZE), "Parity, raf: test-set size (fresh rule-labelled inputs).",
                           deprecated=("n_test",))
    data_path: str | None = param(None, Maybe(Text(nonempty=True), "none; task arrays needs one"),
                                  "arrays: the data file (.npz with x, y [, facts, x_test, y_test]; x*.npy with "
                                  "y*.npy beside it; or .csv with a y column [and facts]); images: the folder "
                                  "with the MNIST / Fashion / CIFAR-10 files.")


@dataclass(frozen=True)
class RunFields:
    """The model and training fields."""

    # model
    model: str = param("mlp", Choice(MODELS), "Network: two-layer MLP, a one-layer transformer (modular), tied "
                       "(modular: a shared embedding, tied unembedding, one hidden layer of width neurons), a linear "
                       "model on the inputs, or random features (rf: frozen first layer, trained readout).")
    kappa: float = param(2.0, Real(0.0, 1000.0, lo_open=True), "rf: features per input dimension κ = p/d.")
    lam: float | None = param(None, Maybe(Real(0.0), "0.1 for linear/rf, 0 for mlp/transformer"),
                              "Ridge λ of the summed loss Σ_μ ℓ_μ + λ/2·‖w‖² (as in `rulesfacts theory`; for the "
                              "networks: a coupled L2 of λ/n_train on the mean loss).", member=True)
    width: int = param(500, Int(1, 100_000), "Hidden width N (mlp, rf; tied: the hidden neurons).")
    act: str = param("quadratic", Choice(ACTS), "Activation of the hidden layer.")
    init_scale: float | None = param(None, Maybe(Real(0.0, lo_open=True),
                                                 "the model's own: for mlp the paper's σ = 0.5/(2N)^(1/3)"),
                                     "Standard deviation of the initial weights.", member=True)
    bias: bool = param(False, Flag(), "Biases in both layers.")
    dropout: float = param(0.0, Real(0.0, 1.0, hi_open=True), "Dropout rate.", member=True)
    dropout_position: str = param("pre", Choice(DROPOUT_POSITIONS),
                                  "Where dropout acts: pre-activations (the paper's code) or after the activation.")
    batchnorm: bool = param(False, Flag(), "BatchNorm after the activation.")
    # transformer (one layer)
    d_model: int = param(128, Int(1, 100_000), "Transformer width.")
    n_heads: int = param(4, Int(1, 100_000), "Transformer heads (a divisor of d_model).")
    # tied (shared embedding)
    d_embed: int = param(500, Int(1, 100_000), "tied: embedding dimension (the embedding of a and b, reused "
                         "transposed as the unembedding).")
    embed: str = param("learned", Choice(EMBEDS), "tied: the embedding: learned, or circle: fixed, not trained, "
                       "token n ↦ √(2/p)·(cos 2πn/p, sin 2πn/p) (PAIR's five-neuron model; needs d_embed = 2).")
    # training
    loss: str = param("mse", Choice(LOSSES), "Loss: MSE on one-hot targets (the paper), cross-entropy, or for "
                      "two classes a loss g(s·h) of the margin h = logit₁ − logit₀ (square ½(1 − sh)², logistic, "
                      "hinge), summed as in the RAF theory.")
    lr: float = param(1e-2, Real(0.0, lo_open=True), "Learning rate (AdamW).", member=True)
    betas: tuple[float, float] = param((0.9, 0.98), Pair(Real(0.0, 1.0, hi_open=True)), "Adam's (β1, β2).")
    adam_eps: float = param(1e-8, Real(0.0, lo_open=True), "Adam's ε.", retired=("eps",))
    wd: float = param(0.0, Real(0.0), "Decoupled weight decay (AdamW).", member=True)
    l2: float = param(0.0, Real(0.0), "Coupled L2 penalty l2/2 · ||w||² added to the loss.", member=True)
    l1: float = param(0.0, Real(0.0), "Coupled L1 penalty l1 · ||w||₁ added to the loss.", member=True)
    batch_size: int = param(0, Int(0, MAX_SIZE), "Minibatch size (0 = full batch).")
    lr_batch_scaling: bool = param(False, Flag(), "Scale lr by sqrt(batch/256) (the paper's BatchNorm runs).")
    epochs: int = param(1000, Int(1, MAX_SIZE), "Training epochs.")
    log_every: int = param(10, Int(1, MAX_SIZE), "Log metrics every k epochs.")
    n_snapshots: int = param(20, Int(0, 10_000),
                             "Weight snapshots kept for analysis (evenly spaced log epochs, float16).")
    seed: int = param(0, SEED, "Seed of the initialisation and the RNG streams.", member=True)
    device: str = param("auto", Choice(DEVICES), "Where to train (auto: CUDA when present).")
    dtype: str = param("float32", Choice(DTYPES), "Matmul precision (bfloat16: autocast, fp32 master weights; "
                       "tfloat32: float32 products on CUDA's TF32 tensor cores, plain float32 on the CPU).")
    compile: bool = param(False, Flag(), "torch.compile the training step (fused kernels; faster after a few "
                          "seconds of compilation, docs/performance.md); needs a C++ compiler.", how=True)
    extra: dict[str, Any] = param({}, PlainData(), "Free-form annotations, kept in config.json; not part of "
                                  "what a run computes.", cli=False, compare=False)


# A plug-in task that declares a core field's name is skipped with a note (``tasks``), before the
# task field lists the tasks there are.
withdraw_plugins_declaring({f.name: "the core fields" for cls in (SharedDataFields, RunFields) for f in fields(cls)}
                           | {"task": "the core fields"})


@dataclass(frozen=True)
class TaskField:
    """Which task: its choices are the tasks found (``tasks.REGISTRY``)."""

    task: str = param(DEFAULT_TASK, Choice(tuple(REGISTRY)), "Task: the data trained on (`rulesfacts fields` lists "
                      "each task's own fields).")


@dataclass(frozen=True)
class DataFields(SharedDataFields, TaskField):
    """The fields of the data that every task reads (the task), or several do; each task declares
    its own (``Task.fields``)."""


def task_fields() -> tuple[type, ...]:
    """Each task's field class, in task order, after checking that no field is declared twice (a
    task of this package whose field has a core field's name is a mistake here, reported at import;
    a plug-in's is skipped before: ``withdraw_plugins_declaring``)."""
    seen = {f.name: "the core fields" for f in (*fields(DataFields), *fields(RunFields))}
    out = []
    for task in REGISTRY.values():
        if task.fields is None:
            continue
        for f in fields(task.fields):
            if f.name in seen:
                raise TypeError(f"task {task.name!r} declares the field {f.name!r}, already one of {seen[f.name]}")
            seen[f.name] = f"task {task.name!r}'s fields"
        out.append(task.fields)
    return tuple(out)


# Field order: the data fields, each task's own (in task order), then the model and training fields
# (a dataclass lists its bases' fields from the last base to the first).
@dataclass(frozen=True)
class TrainConfig(RunFields, *reversed(task_fields()), DataFields, Config):
    """Everything that determines a run. Same config → same numbers (on the same device/threads).

    Each field declares its range (``rulesfacts.config``); ``check_together`` holds the rules
    between fields, and the task's own (``Task.check``). ``member=True``: may differ between the
    members of one batched ensemble (``MEMBER_FIELDS``); ``how=True``: says how a run is computed,
    not what (``HOW_FIELDS``). The fields: ``DataFields``, each task's ``Task.fields``, ``RunFields``.
    """

    def check_together(self) -> None:
        task = REGISTRY[self.task]
        if self.n_heads > self.d_model or self.d_model % self.n_heads:
            raise self.reject("n_heads", f"a divisor of d_model={self.d_model}")
        if self.model in TOKEN_MODELS and not task.tokens:
            raise self.reject("model", f"mlp, linear or rf for task={self.task} (the {self.model} model reads token "
                                       "inputs)")
        if self.model in CONVEX_MODELS and task.tokens:
            raise self.reject("model", f"mlp, transformer or tied for task={self.task} (linear and rf take float "
                                       "inputs, two classes)")
        if self.model in CONVEX_MODELS and self.loss not in MARGIN_LOSSES:
            raise self.reject("loss", f"{' | '.join(MARGIN_LOSSES)} for model={self.model}")
        if self.loss in MARGIN_LOSSES and not task.two_class:
            raise self.reject("loss", f"mse | ce for task={self.task} (margin losses need two classes)")
        if self.model in CONVEX_MODELS and self.batch_size:
            raise self.reject("batch_size", f"0 for model={self.model} (fitted full batch to convergence)")
        if self.model == "rf" and self.act not in RF_ACTS:
            raise self.reject("act", f"{' | '.join(RF_ACTS)} for model=rf (the activations the RAF theory covers)")
        if self.model in ("mlp", *TOKEN_MODELS) and self.act not in MLP_ACTS:
            raise self.reject("act", f"{' | '.join(MLP_ACTS)} for model={self.model} (tanh, erf and sign: model rf)")
        task.check(self)
        if self.batchnorm and self.batch_size == 1:
            raise self.reject("batch_size", "≥ 2 with batchnorm (statistics need two examples)")
        if self.model in TOKEN_MODELS and (self.dropout > 0 or self.batchnorm):
            raise self.reject("dropout" if self.dropout > 0 else "batchnorm",
                              f"0 / false for model={self.model} (dropout and BatchNorm are MLP features)")
        if self.model == "tied" and self.bias:
            raise self.reject("bias", "false for model=tied (the model has no biases)")
        if self.embed == "circle":
            if self.model != "tied":
                raise self.reject("embed", f"learned for model={self.model} (the circle embedding is the tied model's)")
            if self.d_embed != 2:
                raise self.reject("d_embed", "2 for embed=circle (the circle's two coordinates)")
            if self.task == "modular" and self.p < 3:
                raise self.reject("p", "≥ 3 for embed=circle (at p = 2 the sine column is zero)")

    # -- derived -----------------------------------------------------------------------
    @property
    def effective_data_seed(self) -> int:
        return self.seed if self.data_seed is None else self.data_seed

    @property
    def effective_init_scale(self) -> float:
        """σ = 0.5 / (2N)^(1/3): the init of the paper's public code (0.05 at N = 500)."""
        return self.init_scale if self.init_scale is not None else 0.5 / (2 * self.width) ** (1 / 3)

    @property
    def effective_lam(self) -> float:
        """λ of the summed loss: given, else 0.1 for linear/rf (the theory's default), 0 otherwise."""
        if self.lam is not None:
            return self.lam
        return 0.1 if self.model in CONVEX_MODELS else 0.0

    @property
    def effective_lr(self) -> float:
        if self.lr_batch_scaling and self.batch_size > 0:
            return self.lr * math.sqrt(self.batch_size / 256)
        return self.lr


# Fields that may differ between members of one batched ensemble; all others fix the shapes and
# the computation graph and must be equal (see ``ensemble_key``).
MEMBER_FIELDS = member_fields(TrainConfig)

# Fields that say how a run is computed, not what it computes: runs that differ only in them are
# the same run (config equality, the resume check, sweep run ids).
HOW_FIELDS = how_fields(TrainConfig)


def ensemble_key(cfg: TrainConfig) -> tuple:
    """Configs with equal keys can be trained together as one batched ensemble."""
    return tuple((f.name, _freeze(getattr(cfg, f.name))) for f in fields(cfg)
                 if f.name not in MEMBER_FIELDS | {"extra"})


def _freeze(v: Any) -> Any:
    return tuple(sorted(v.items())) if isinstance(v, dict) else v
