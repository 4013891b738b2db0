"""Which rows each update of descend sees: epochs, shuffled minibatches, and a held-out split.

The rows are a --data file's rows, or the examples of inputs bound whole whose first
axis holds one example a row (``--examples X,Y``: the matrix form of a network, as
``samples/two_layer.grad`` is written).  Both kinds offer ``n`` and ``take(indices)``.

The order is PyTorch's DataLoader with ``shuffle=True, drop_last=False``: each epoch a
fresh permutation of the rows from one seeded generator, cut into batches of
``batch_size``, the last one shorter when the size does not divide the rows.
Seeded: the same --seed gives the same batches on every machine (numpy's PCG64).
"""

from __future__ import annotations

import math

from gradcli.support.errors import UsageError
from gradcli.support.records import Frozen, Record


class Examples(Record):
    """Inputs bound whole whose first axis holds the examples, cut by rows together."""

    _fields = ("inputs",)

    def __init__(self, inputs: dict):
        self.inputs = inputs  # input name -> its value, every one with the same first axis

    @property
    def n(self) -> int:
        return len(next(iter(self.inputs.values())))

    def take(self, indices) -> "Examples":
        return Examples({name: a[indices] for name, a in self.inputs.items()})


def examples_of(values: dict, names: list[str], wrt: list[str]) -> Examples:
    """``--examples X,Y``: each a bound array, not trained, all with the same number of rows."""
    from gradcli.core.values import shape

    for name in names:
        if name not in values:
            raise UsageError(f"--examples {name}: '{name}' is not a bound input of the program")
        if name in wrt:
            raise UsageError(f"--examples {name}: '{name}' is being trained (--wrt); examples are data, "
                             "held fixed")
        if not shape(values[name]):
            raise UsageError(f"--examples {name}: '{name}' is a number; an input of examples is an array "
                             "with one example a row")
    rows = {name: shape(values[name])[0] for name in names}
    if len(set(rows.values())) > 1:
        told = ", ".join(f"{n} has {r}" for n, r in rows.items())
        raise UsageError(f"--examples: the inputs hold different numbers of rows ({told}); each row is one "
                         "example, so they must agree")
    return Examples({name: values[name] for name in names})


def split(rows, fraction: float, seed: int):
    """``(training, held out)``: a seeded random ``fraction`` of the rows held out (at least one row each)."""
    import numpy as np

    n = rows.n
    held = round(n * fraction)
    if not 1 <= held < n:
        raise UsageError(f"--validate {fraction:g}: holding out {fraction:g} of {n} rows leaves "
                         f"{'no row to hold out' if held < 1 else 'no row to train on'}")
    order = np.random.default_rng(seed).permutation(n)
    return rows.take(np.sort(order[held:])), rows.take(np.sort(order[:held]))


class Batches(Frozen):
    """The rows of every update: ``None`` for the full batch, else an index array per update."""

    __slots__ = _fields = ("n", "size", "epochs", "seed")

    def __init__(self, n: int, size: int | None, epochs: int | None, seed: int = 0):
        object.__setattr__(self, "n", n)  # training rows
        object.__setattr__(self, "size", size)  # None: every row at each update
        object.__setattr__(self, "epochs", epochs)  # None: --steps counts the updates
        object.__setattr__(self, "seed", seed)

    @property
    def per_epoch(self) -> int:
        return 1 if self.size is None else math.ceil(self.n / self.size)

    def updates(self, steps: int) -> int:
        """How many updates the run makes: the epochs' batches, or --steps."""
        return self.epochs * self.per_epoch if self.epochs is not None else steps

    def plan(self, total: int):
        """Yields ``(epoch, rows)`` for updates 1..total: the epoch (from 1) and the rows of each."""
        import numpy as np

        if self.size is None:
            for k in range(total):
                yield k + 1, None
            return
        rng = np.random.default_rng(self.seed)
        k, epoch = 0, 0
        while k < total:
            epoch += 1
            order = rng.permutation(self.n)
            for start in range(0, self.n, self.size):
                if k == total:
                    return
                yield epoch, order[start:start + self.size]
                k += 1
