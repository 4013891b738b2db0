"""The tape: a flat, topologically ordered list of numbered nodes (a Wengert list).

Inputs come first (sorted by name, digits compared as numbers, so x2 < x10),
then every constant and operation in evaluation order.  Every operand is an
edge, so ``x*x`` has two edges from ``x``.  Operation nodes are numbered 1, 2,
... in tape order; an unnamed one is labelled ``v<number>`` (another letter when
the program has names like v1: ``core/names.py``).

The tape is data: it knows its graph (cones, dependencies) but evaluates
nothing; ``core/lower.py`` builds it from a program, ``autodiff/`` sweeps it.
"""

from __future__ import annotations

import re

from gradcli.core.names import Names
from gradcli.core.ops import Op
from gradcli.lang.program import Statement, source_line

INPUT, CONST, OPERATION = "input", "const", "op"


class Node:
    __slots__ = ("index", "kind", "op", "args", "name", "text", "number", "line", "column", "value", "params", "prefix")

    def __init__(self, index: int, kind: str, op: Op | None = None, args: tuple[int, ...] = (),
                 name: str | None = None, text: str | None = None, number: int | None = None,
                 line: int | None = None, column: int | None = None, value: float | None = None,
                 params: tuple = (), prefix: str = "v"):
        self.index = index
        self.kind = kind
        self.op = op
        self.args = args
        self.name = name  # the program's name for it, if any
        self.text = text  # a constant's spelling: 3, 0.5, pi
        self.number = number  # k in v<k>, operations only
        self.line = line
        self.column = column
        self.value = value  # a constant's value, or an input's default (a float, or an array)
        self.params = params  # what the text fixes for an op: an axis, the indices of x[1, 0]
        self.prefix = prefix  # the letter of its label v<number>, another where the program uses v1

    @property
    def label(self) -> str:
        """The name, the constant's spelling, or v<number> (computed: a million nodes need no strings).

        The prefix is ``v`` unless the program has names like v1 (see ``core/names.py``).
        """
        if self.name is not None:
            return self.name
        if self.text is not None:
            return self.text
        return f"{self.prefix}{self.number}"

    def __repr__(self) -> str:
        return f"Node({self.index}, {self.label!r}, {self.kind}, {self.args})"


class Tape:
    """The computational graph of one program."""

    def __init__(self, source: str = ""):
        self.nodes: list[Node] = []
        self.inputs: list[int] = []  # node indices of the inputs, in display order
        self.names: dict[str, int] = {}  # every name the program gives a node (and aliases)
        self.statements: dict[str, Statement] = {}  # name -> its statement (intermediates)
        # The statements no other statement uses, in the order of the text: the program's outputs.
        self.outputs: list[str] = []
        self.source = source
        # The inputs gradients are taken with respect to (None: every input).
        self.sources: list[int] | None = None
        self._requires_grad: list[bool] | None = None
        # True when the lowering made an array constant, an array op, or an input with an
        # array default: a program without arrays never pays for the shape check.
        self.arrays = False
        # Every name the program has, kept when ``restrict`` leaves some out: generated names avoid them.
        self.program_names: frozenset[str] | None = None

    def own_names(self) -> frozenset[str]:
        """The program's names (inputs, statements, aliases): no generated name may equal one."""
        if self.program_names is not None:
            return self.program_names
        return frozenset(self.names)

    def adjoint_prefix(self) -> str:
        """How the tables write an adjoint: ``d`` (dx), or ``d_`` where d<label> is a program name."""
        prefix = self.__dict__.get("_adjoint_prefix")
        if prefix is None:
            labels = (node.label for node in self.nodes if node.kind != CONST)
            prefix = self._adjoint_prefix = self.namer().adjoint_prefix(labels)
        return prefix

    def namer(self) -> Names:
        """A fresh chooser of generated names for this program."""
        return Names(self.own_names())

    def add(self, kind: str, **fields) -> int:
        index = len(self.nodes)
        self.nodes.append(Node(index, kind, **fields))
        return index

    def input_names(self) -> list[str]:
        return [self.nodes[i].name for i in self.inputs]

    def depends_on(self, sources) -> list[bool]:
        """Which nodes depend on any of the ``sources`` (themselves included): one loop up the tape."""
        dep = [False] * len(self.nodes)
        for s in sources:
            dep[s] = True
        for node in self.nodes:
            if node.kind == OPERATION and not dep[node.index]:
                for a in node.args:  # a loop, not any(...): a generator a node costs a million-node tape 0.5 s
                    if dep[a]:
                        dep[node.index] = True
                        break
        return dep

    def cone(self, outputs) -> list[bool]:
        """Which nodes the ``outputs`` depend on (themselves included): one loop down the tape."""
        needed = [False] * len(self.nodes)
        for i in outputs:
            needed[i] = True
        for i in range(max(outputs, default=-1), -1, -1):
            if needed[i]:
                for a in self.nodes[i].args:
                    needed[a] = True
        return needed

    def requires_grad(self) -> list[bool]:
        """Which nodes depend on an input that is differentiated (``sources``): only those edges carry gradient.

        Computed once (set ``sources`` before the first call); callers must not modify the list.
        """
        if self._requires_grad is None:
            self._requires_grad = self.depends_on(self.inputs if self.sources is None else self.sources)
        return self._requires_grad

    def differentiate(self, sources: list[int]) -> None:
        """Take gradients with respect to these inputs only: edges from nothing else carry gradient."""
        self.sources = list(sources)
        self._requires_grad = None
        for compiled in ("_plan", "_array_plans", "_drops_gradients"):  # each depends on which edges carry gradient
            self.__dict__.pop(compiled, None)

    def restrict(self, outputs: list[int], leaves: list[int] = ()) -> "Tape":
        """The tape of what ``outputs`` depend on: every other node left out (this tape itself if none is).

        A statement the outputs do not use is then never evaluated, so it can
        neither fail nor ask for a value.  ``leaves`` are input nodes kept even
        when the outputs do not read them (their derivative is 0, and listed).
        Nodes keep their names and v<number> labels; only their indices change.
        """
        keep = self.cone(outputs)
        for i in leaves:
            keep[i] = True
        if all(keep):
            return self
        tape = Tape(self.source)
        new = [-1] * len(self.nodes)
        for node in self.nodes:
            if not keep[node.index]:
                continue
            index = new[node.index] = len(tape.nodes)
            tape.nodes.append(Node(index, node.kind, node.op, tuple(new[a] for a in node.args), node.name,
                                   node.text, node.number, node.line, node.column, node.value, node.params,
                                   node.prefix))
        tape.inputs = [new[i] for i in self.inputs if keep[i]]
        tape.names = {name: new[i] for name, i in self.names.items() if keep[i]}
        tape.statements = {name: st for name, st in self.statements.items() if name in tape.names}
        tape.arrays = self.arrays
        tape.program_names = self.own_names()
        tape.outputs = [name for name in self.outputs if name in tape.names]
        return tape

    def definition(self, index: int) -> str:
        """``b*c``, ``sin(x2)``: how a node is computed, over its operands' labels."""
        node = self.nodes[index]
        if node.kind != OPERATION:
            return node.label
        return node.op.render([self.nodes[a].label for a in node.args], node.params)

    def source_line(self, line: int | None) -> str | None:
        return source_line(self.source, line)


def natural_key(name: str):
    """Sort x2 before x10."""
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", name)]


