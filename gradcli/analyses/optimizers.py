"""The update rules descend can take, each as PyTorch's optimizer of the same name applies it.

One table, ``OPTIMIZERS``: per rule its hyperparameters with their defaults and its
update, written once for numbers and arrays alike (only ``+ - * /`` and ``** 0.5``, which
floats and numpy arrays share).  The state (velocities, moments) lives in ``Optimizer``,
one entry per variable, created at the first step.

Every rule sees the gradient after weight decay, ``g + wd * w`` (PyTorch's
``weight_decay``: an L2 penalty folded into the gradient, for Adam too, as
``torch.optim.Adam`` does; AdamW's decoupled decay is not offered).  The rules, with
``t`` the update's number from 1:

- sgd:       ``w -= lr * g``
- momentum:  ``b = mu * b + g`` (``b = g`` at t = 1), ``w -= lr * b``
- nesterov:  the same ``b``, then ``w -= lr * (g + mu * b)``
- rmsprop:   ``v = alpha * v + (1 - alpha) * g^2``, ``w -= lr * g / (sqrt(v) + eps)``
- adam:      ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g^2``,
             ``w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``
"""

from __future__ import annotations

import math
from collections.abc import Callable

from gradcli.support.errors import UsageError
from gradcli.support.numbers import short
from gradcli.support.records import Frozen


class Rule(Frozen):
    __slots__ = _fields = ("name", "summary", "defaults", "update")

    def __init__(self, name: str, summary: str, defaults: dict, update: Callable):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "summary", summary)  # one line, for --help and the table's title
        # hyperparameter -> default ("momentum", "betas", "alpha", "eps")
        object.__setattr__(self, "defaults", defaults)
        # update(state, hyper, grads, lr): what is subtracted from each parameter (``Optimizer``: the state)
        object.__setattr__(self, "update", update)


# Each update gives what is subtracted from each parameter, in PyTorch's order of operations; ``state``
# is the run's Optimizer (``t``, the update's number from 1, and its buffers), ``h`` the hyperparameters.

def _sgd(state, h: dict, grads: list, lr: float) -> list:
    return [lr * g for g in grads]


def _buffers(state, h: dict, grads: list) -> list:
    mu = h["momentum"]
    state.first = list(grads) if state.first is None else [mu * b + g for b, g in zip(state.first, grads)]
    return state.first


def _momentum(state, h: dict, grads: list, lr: float) -> list:
    return [lr * b for b in _buffers(state, h, grads)]


def _nesterov(state, h: dict, grads: list, lr: float) -> list:
    mu = h["momentum"]
    return [lr * (g + mu * b) for g, b in zip(grads, _buffers(state, h, grads))]


def _rmsprop(state, h: dict, grads: list, lr: float) -> list:
    alpha, eps = h["alpha"], h["eps"]
    previous = state.second or [0.0 * g for g in grads]
    state.second = [alpha * v + (1 - alpha) * (g * g) for v, g in zip(previous, grads)]
    return [lr * (g / (v ** 0.5 + eps)) for g, v in zip(grads, state.second)]


def _adam(state, h: dict, grads: list, lr: float) -> list:
    (b1, b2), eps, t = h["betas"], h["eps"], state.t
    first = state.first or [0.0 * g for g in grads]
    second = state.second or [0.0 * g for g in grads]
    state.first = [m + (1 - b1) * (g - m) for m, g in zip(first, grads)]  # torch's lerp
    state.second = [b2 * v + (1 - b2) * (g * g) for v, g in zip(second, grads)]
    step_size, root = lr / (1 - b1 ** t), (1 - b2 ** t) ** 0.5
    return [step_size * (m / (v ** 0.5 / root + eps)) for m, v in zip(state.first, state.second)]


OPTIMIZERS = {rule.name: rule for rule in (
    Rule("sgd", "w -= lr*g", {}, _sgd),
    Rule("momentum", "b = mu*b + g; w -= lr*b", {"momentum": 0.9}, _momentum),
    Rule("nesterov", "b = mu*b + g; w -= lr*(g + mu*b)", {"momentum": 0.9}, _nesterov),
    Rule("rmsprop", "v = alpha*v + (1-alpha)*g^2; w -= lr*g/(sqrt(v) + eps)", {"alpha": 0.99, "eps": 1e-8},
         _rmsprop),
    Rule("adam", "bias-corrected moments m, v; w -= lr*m^/(sqrt(v^) + eps)",
         {"betas": (0.9, 0.999), "eps": 1e-8}, _adam),
)}

FLAGS = {"momentum": "--momentum", "betas": "--betas", "alpha": "--alpha", "eps": "--eps"}


class Settings(Frozen):
    """An optimizer and its hyperparameters, checked: ``settings(...)`` builds one from options."""

    __slots__ = _fields = ("name", "hyper", "weight_decay")

    def __init__(self, name: str = "sgd", hyper: dict | None = None, weight_decay: float = 0.0):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "hyper", {} if hyper is None else hyper)
        object.__setattr__(self, "weight_decay", weight_decay)

    def describe(self) -> str:
        """``adam (betas 0.9,0.999, eps 1e-08)``: what the table's title says."""
        parts = [f"{k} {','.join(short(b) for b in v) if isinstance(v, tuple) else short(v)}"
                 for k, v in self.hyper.items()]
        if self.weight_decay:
            parts.append(f"weight decay {short(self.weight_decay)}")
        return self.name + (f" ({', '.join(parts)})" if parts else "")

    def to_json(self) -> dict:
        return {"name": self.name, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.hyper.items()},
                "weight_decay": self.weight_decay}


def settings(name: str, given: dict, weight_decay: float | None) -> Settings:
    """The optimizer ``name`` with the hyperparameters given as options (None: not given).

    A hyperparameter the rule does not have is an error, not ignored: ``--momentum``
    with adam, ``--betas`` with sgd.
    """
    rule = OPTIMIZERS[name]
    for key, value in given.items():
        if value is not None and key not in rule.defaults:
            takes = [n for n, r in OPTIMIZERS.items() if key in r.defaults]
            raise UsageError(f"{FLAGS[key]} does not apply to --optimizer {name}: it goes with "
                             f"{' or '.join('--optimizer ' + t for t in takes)}")
    hyper = {k: (given.get(k) if given.get(k) is not None else d) for k, d in rule.defaults.items()}
    if "momentum" in hyper and not 0 <= hyper["momentum"] < 1:
        raise UsageError(f"--momentum {short(hyper['momentum'])}: a momentum is at least 0 and below 1")
    if "alpha" in hyper and not 0 <= hyper["alpha"] < 1:
        raise UsageError(f"--alpha {short(hyper['alpha'])}: the smoothing constant is at least 0 and below 1")
    if "betas" in hyper and not all(0 <= b < 1 for b in hyper["betas"]):
        raise UsageError(f"--betas {','.join(short(b) for b in hyper['betas'])}: each beta is at least 0 "
                         "and below 1")
    if "eps" in hyper and not hyper["eps"] > 0:
        raise UsageError(f"--eps {short(hyper['eps'])}: eps must be positive")
    wd = weight_decay or 0.0
    if not (wd >= 0 and math.isfinite(wd)):
        raise UsageError(f"--weight-decay {short(wd)}: it must be zero or more")
    return Settings(name, hyper, wd)


class Optimizer:
    """The state of one run: ``step(params, grads, lr)`` gives the updated parameters."""

    def __init__(self, chosen: Settings):
        self.settings = chosen
        self.t = 0
        self.first: list | None = None  # momentum buffers, or Adam's first moments
        self.second: list | None = None  # squared-gradient averages (rmsprop, adam)
        self._update = OPTIMIZERS[chosen.name].update

    def step(self, params: list, grads: list, lr: float) -> list:
        """The parameters after one update; every value a float or an array of its parameter's shape."""
        self.t += 1
        s = self.settings
        if s.weight_decay:
            grads = [g + s.weight_decay * w for g, w in zip(grads, params)]
        return [w - d for w, d in zip(params, self._update(self, s.hyper, grads, lr))]


# ---------------------------------------------------------------- learning-rate schedules

SCHEDULES = ("constant", "step", "cosine")


class Schedule(Frozen):
    """The learning rate at each update, PyTorch's StepLR and CosineAnnealingLR.

    ``step``: ``lr * gamma^floor(k / every)``; ``cosine``: ``lr_min + (lr - lr_min)(1 + cos(pi k / total))/2``;
    k counts epochs when the run has epochs (the scheduler stepped once an epoch, as
    PyTorch's examples do), else updates.
    """

    __slots__ = _fields = ("kind", "every", "gamma", "lr_min")

    def __init__(self, kind: str = "constant", every: int = 0, gamma: float = 0.1, lr_min: float = 0.0):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "every", every)  # step: how many epochs (or updates) between decays
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "lr_min", lr_min)

    def lr(self, base: float, k: int, total: int) -> float:
        if self.kind == "step":
            return base * self.gamma ** (k // self.every)
        if self.kind == "cosine":
            return self.lr_min + (base - self.lr_min) * (1 + math.cos(math.pi * min(k, total) / max(total, 1))) / 2
        return base

    def describe(self) -> str:
        if self.kind == "step":
            return f"step (x{short(self.gamma)} every {self.every})"
        if self.kind == "cosine":
            return "cosine" + (f" to {short(self.lr_min)}" if self.lr_min else "")
        return "constant"


def schedule(kind: str, every: int | None, gamma: float | None, lr_min: float | None) -> Schedule:
    """A schedule from its options; options of another schedule are errors, not ignored."""
    if kind != "step":
        for flag, value in (("--step-every", every), ("--gamma", gamma)):
            if value is not None:
                raise UsageError(f"{flag} goes with --schedule step")
    if kind != "cosine" and lr_min is not None:
        raise UsageError("--lr-min goes with --schedule cosine")
    if kind == "step":
        if every is None:
            raise UsageError("--schedule step needs --step-every N (decay the learning rate every N epochs, "
                             "or N updates without --epochs)")
        gamma = 0.1 if gamma is None else gamma
        if not 0 < gamma <= 1:
            raise UsageError(f"--gamma {short(gamma)}: the decay factor is above 0 and at most 1")
        return Schedule("step", every, gamma)
    if kind == "cosine":
        lr_min = 0.0 if lr_min is None else lr_min
        if not (lr_min >= 0 and math.isfinite(lr_min)):
            raise UsageError(f"--lr-min {short(lr_min)}: it must be zero or more")
        return Schedule("cosine", lr_min=lr_min)
    return Schedule()
