"""The evaluation trace (Wengert list) laid out as Baydin et al. (2018) print it in Tables 2 and 3.

The n inputs are numbered ``v_-(n-1) .. v_0`` (their names beside), then the
operations ``v1, v2, ...`` with the tape's own numbers, each defined over these
trace names (``v4 = sin(v_0)``); constants stay inline in the definitions.
Optional columns: the forward-mode tangent seeded at one input (Table 2) and
the reverse-mode adjoint (Table 3).

Rows are the inputs and the operations the output depends on: the trace of
computing that output.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError
from .forward import output_cone, tangents
from .graph import INPUT, OPERATION, Tape
from .problem import Problem, evaluate


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

    @property
    def output_row(self) -> TraceRow:
        return next(r for r in self.rows if r.node == self.output_node)


def trace_name(k: int) -> str:
    """``v_-1``, ``v_0`` for inputs (k <= 0), ``v3`` for operations."""
    return f"v_{k}" if k <= 0 else f"v{k}"


def trace_labels(tape: Tape) -> list[str]:
    """Each node's label in the trace: inputs v_-(n-1)..v_0, operations v<number>, constants their text."""
    labels = [node.label for node in tape.nodes]
    n = len(tape.inputs)
    for position, i in enumerate(tape.inputs):
        labels[i] = trace_name(position - (n - 1))
    for node in tape.nodes:
        if node.kind == OPERATION:
            labels[node.index] = trace_name(node.number)
    return labels


def evaluation_trace(problem: Problem, tangent: str | None = None, adjoint: bool = False) -> TraceResult:
    tape = problem.tape
    inputs = tape.input_names()
    if tangent is not None and tangent not in inputs:
        raise UsageError(f"--tangent {tangent}: '{tangent}' is not an input of the program "
                         f"(inputs: {', '.join(inputs) or 'none'})", kind="usage")
    sweep = evaluate(problem)  # values and adjoints; its errors are eval's errors
    vals = sweep.values
    out = problem.output_index
    cone = output_cone(tape, [out])
    tan = tangents(tape, vals, tape.names[tangent], cone) if tangent is not None else None
    labels = trace_labels(tape)
    n = len(tape.inputs)
    position = {i: p for p, i in enumerate(tape.inputs)}
    rows = []
    for node in tape.nodes:
        i = node.index
        if node.kind == INPUT:
            k, definition = position[i] - (n - 1), None
        elif node.kind == OPERATION and cone[i]:
            k = node.number
            definition = node.op.render([_operand(labels[a], node.op) for a in node.args])
        else:
            continue
        rows.append(TraceRow(i, k, labels[i], node.name, definition, vals[i],
                             tan[i] if tan is not None else None,
                             sweep.adjoints[i] if adjoint else None))
    return TraceResult(problem.output, sweep.value, rows, out, tangent, adjoint)


def _operand(label: str, op) -> str:
    # a negative literal inside an infix or prefix op reads better in parentheses: v1*(-2)
    return f"({label})" if op.style != "call" and label.startswith("-") else label
