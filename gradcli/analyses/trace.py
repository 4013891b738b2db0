"""The evaluation trace (Wengert list) laid out as Baydin et al. (2018) print it in Tables 2 and 3.

The n inputs are numbered ``v_-(n-1) .. v_0`` (their names beside), then the
operations ``v1, v2, ...`` with the tape's own numbers, each defined over these
trace names (``v4 = sin(v_0)``); constants stay inline in the definitions.
Optional columns: the forward-mode tangent seeded at one input (Table 2) and
the reverse-mode adjoint (Table 3).

Rows are the inputs and the operations on them that the output depends on:
the trace of computing that output. (The output always has a row: a name
assigned a constant expression is an input.)
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcli.analyses import passes
from gradcli.autodiff.sweeps import Plan
from gradcli.support.errors import UsageError
from gradcli.core.names import hidden_prefix
from gradcli.core.tape import INPUT, OPERATION, Tape
from gradcli.core.values import dense, or_zeros
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.problem import Problem


@dataclass
class TraceRow:
    node: int  # the tape index
    index: int  # Baydin's subscript: -(n-1) .. 0 for inputs, 1, 2, ... for operations
    trace_name: str  # "v_-1", "v3"
    name: str | None  # the program's name for it, if any ("x1", "y")
    definition: str | None  # over trace names; None for inputs
    value: float
    tangent: float | None = None
    adjoint: float | None = None


@dataclass
class TraceResult:
    output: str
    value: float
    rows: list[TraceRow]
    output_node: int  # its tape index
    tangent_seed: str | None = None  # the input the tangent column is seeded at
    adjoint: bool = False
    prefix: str = "v"  # the letter of the trace's names (v_-1, v3), another where the program has v1

    @property
    def output_row(self) -> TraceRow:
        return next(r for r in self.rows if r.node == self.output_node)


def trace_name(k: int, prefix: str = "v") -> str:
    """``v_-1``, ``v_0`` for inputs (k <= 0), ``v3`` for operations (``w`` for ``v`` where the
    program has names like v1: ``core/names.py``)."""
    return f"{prefix}_{k}" if k <= 0 else f"{prefix}{k}"


def trace_labels(tape: Tape, output: int | None = None) -> list[str]:
    """Each node's text in the trace: inputs v_-(n-1)..v_0, operations v<number>.

    Constants, and operations on constants only (``-2``, ``2^3``), are not rows:
    they appear inline, as the text that computes them; the output is always a row.
    """
    labels = [node.label for node in tape.nodes]
    prefix = hidden_prefix(tape.own_names())
    n = len(tape.inputs)
    for position, i in enumerate(tape.inputs):
        labels[i] = trace_name(position - (n - 1), prefix)
    req = tape.requires_grad()
    for node in tape.nodes:
        if node.kind != OPERATION:
            continue
        if req[node.index] or node.index == output:
            labels[node.index] = trace_name(node.number, prefix)
        else:
            text = definition(node, labels)
            labels[node.index] = f"({text})" if node.op.style == "infix" else text
    return labels


def definition(node, labels: list[str]) -> str:
    """An operation over its operands' trace texts: ``log(v_-1)``, ``v_-1*v_0``, ``v_0*(-2)``."""
    return node.op.render([labels[a] for a in node.args], node.params)


def evaluation_trace(problem: Problem, tangent: str | None = None, adjoint: bool = False) -> TraceResult:
    tape = problem.tape
    inputs = tape.input_names()
    if tangent is not None and tangent not in inputs:
        raise UsageError(f"--tangent {tangent}: '{tangent}' is not an input of the program "
                         f"(inputs: {', '.join(inputs) or 'none'})", kind="usage")
    if tangent is not None and passes.has_arrays(problem):
        raise UsageError("--tangent seeds one number: on a program with arrays use gradcli jacobian "
                         "--mode forward, which seeds every element", kind="usage")
    sweep = evaluate(problem)  # values and adjoints; its errors are eval's errors
    vals = sweep.values
    out = problem.output_index
    cone = tape.cone([out])
    req = tape.requires_grad()
    tan = Plan.of(problem).tangents(vals, {tape.names[tangent]: 1.0}, cone) if tangent is not None else None
    labels = trace_labels(tape, out)
    n = len(tape.inputs)
    position = {i: p for p, i in enumerate(tape.inputs)}
    rows = []
    for node in tape.nodes:
        i = node.index
        if node.kind == INPUT:
            k, text = position[i] - (n - 1), None
        elif node.kind == OPERATION and cone[i] and (req[i] or i == out):
            k, text = node.number, definition(node, labels)
        else:
            continue
        g = sweep.adjoints[i]
        rows.append(TraceRow(i, k, labels[i], node.name, text, vals[i],
                             dense(tan[i]) if tan is not None else None,
                             or_zeros(g, vals[i]) if adjoint else None))
    return TraceResult(problem.output, sweep.value, rows, out, tangent, adjoint,
                       hidden_prefix(tape.own_names()))

