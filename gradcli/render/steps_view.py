"""Renderers for `gradcli explain --steps`: the backward pass node by node.

A local partial on an edge is written ``∂v/∂u``; the course notes name the
adjoint of x ``dx`` (meaning d(output)/dx, a total derivative).  The view does
the same and says both in its caption.  Where the program itself has a name
d<label> (an input ``dout`` beside a statement ``out``) the adjoints are written
``d_x`` instead (``Tape.adjoint_prefix``).
"""

from __future__ import annotations

from gradcli.core.values import shape, shape_text, to_json
from gradcli.support.numbers import short
from gradcli.analyses.steps import Received, StepsResult
from gradcli.render.tables import FitTable


def _received_json(terms: list[Received]) -> list[dict]:
    return [{"from": t.source, "contribution": to_json(t.contribution)} for t in terms]


def steps_json(result: StepsResult) -> dict:
    """The scalar schema; in an array program the numbers are nested lists, and each step and
    operand has its ``shape`` (``formula`` is then the rule at the tensor level, ``local`` null)."""
    steps = []
    for s in result.steps:
        step = {"node": s.node, "op": s.op, "definition": s.definition, "value": to_json(s.value),
                "upstream": to_json(s.upstream), "received": _received_json(s.received),
                "operands": [{"node": o.node, "formula": o.formula, "local": o.local,
                              "contribution": to_json(o.contribution)} for o in s.operands]}
        if result.tensor:
            step["shape"] = list(shape(s.value))
            for o, data in zip(s.operands, step["operands"]):
                data["shape"] = list(shape(o.contribution))
                data["why"] = o.why
        steps.append(step)
    return {
        "output": result.output,
        "value": to_json(result.value),
        "steps": steps,
        "gradient": {name: to_json(g) for name, g in result.gradient.items()},
        "received": {name: _received_json(terms) for name, terms in result.received.items()},
        **({"through_steps": [{"node": name, "gradient_norm": norm} for name, norm in result.through_steps]}
           if result.through_steps else {}),
    }


def show(x) -> str:
    """A number as the other views write it; an array as an aligned grid."""
    from gradcli.render.array_text import grid

    return grid(x)


def upstream_text(node: str, upstream: float, terms: list[Received], sources: bool = False, d: str = "d") -> str:
    """``dv = 3``, or with several terms ``dv = 3 = 1 (from J) + 2 (from w)``; the output is the seed.

    ``sources`` names the sender of a single term too: ``dw0 = -0.196612 (from v1)``.
    """
    return upstream_cell(node, upstream, terms, sources, d).plain


def upstream_cell(node: str, upstream, terms: list[Received], sources: bool = False, d: str = "d"):
    """``upstream_text`` as a ``Cell``: arrays stay aligned blocks, each term of a sum of arrays on a line."""
    from gradcli.render.cells import Cell

    pieces = [f"{d}{node} = ", upstream]
    if not terms:
        return Cell(*pieces, " (seed)")
    if len(terms) == 1 and sources:
        return Cell(*pieces, f" (from {terms[0].source})")
    if len(terms) > 1:
        blocks = any(shape(t.contribution) for t in terms)  # each array term on a line of its own
        for i, t in enumerate(terms):
            joint = ("\n= " if blocks else " = ") if i == 0 else ("\n+ " if blocks else " + ")
            if shape(t.contribution):
                pieces += [joint, t.contribution, f" (from {t.source})"]
            else:
                pieces += [joint + _signed(t.contribution, i) + f" (from {t.source})"]
    return Cell(*pieces)


def _signed(x: float, position: int) -> str:
    # "a + -0.2" reads badly: wrap a negative term after the first in parentheses
    s = show(x)
    return f"({s})" if position and s.startswith("-") else s


def steps_rich(result: StepsResult):
    from rich.console import Group

    from gradcli.core.ops import OPS
    from gradcli.render.cells import Cell

    out, d = result.output, result.adjoint
    if result.tensor:
        title = f"backward pass: {out} = {short(result.value)}   (each operand's gradient, by the rule at the tensor level)"
        caption = (f"{d}X: d{out}/dX, the gradient of {out} with respect to X; it has X's shape.\n"
                   f"{d}A += rule: what node q hands its operand A (sums where a node feeds several);\n"
                   "the rule is a gradcli expression, a smaller value spreads over A as numpy's += does")
    else:
        title = f"backward pass: {out} = {short(result.value)}   (upstream × local = downstream)"
        caption = (f"∂v/∂u: the local partial of node v with respect to its operand u;\n"
                   f"{d}X: d{out}/dX, the total derivative (adjoint) of {out} with respect to X")
    table = FitTable(title=title, caption=caption)
    table.add_column("node")
    table.add_column("upstream")
    table.add_column("local partial")
    table.add_column("downstream")
    for step in result.steps:
        dims = shape(step.value)
        head = Cell((f"{step.node} = {step.definition}" + (f"  {shape_text(dims)}" if dims else ""), "bold"),
                    "\n= ", step.value)
        upstream = upstream_cell(step.node, step.upstream, step.received, d=d)
        if not step.operands:
            table.add_row(head, upstream, "", "")
        for k, operand in enumerate(step.operands):
            partial_name = f"∂{step.node}/∂{operand.node}"
            if result.tensor:  # the rule at the tensor level hands an array down: dW += dq @ transpose(x)
                local = f"{d}{operand.node} += {operand.formula}"
                if operand.why:  # the shapes that leave this one arrangement, and the element form
                    local = Cell(local, ("\n" + operand.why, "dim"))
                down = Cell(operand.contribution, f"\n→ {operand.node}")
            elif operand.local is None:
                local = f"{partial_name} = {operand.formula}: undefined"
                down = "0 (no gradient flows)"
            else:
                value = short(operand.local)
                local = f"{partial_name} = {operand.formula}" + ("" if operand.formula == value else f" = {value}")
                down = (f"{short(step.upstream)} × {_signed(operand.local, 1)} "
                        f"= {short(operand.contribution)} → {operand.node}")
            if OPS[step.op].cuts:  # stop_gradient: the edge is cut, whatever its partial's value
                local += "\n(cut: no gradient flows back through stop_gradient)"
                down = f"0 (cut) → {operand.node}"
            table.add_row(head if k == 0 else "", upstream if k == 0 else "", local, down)
        table.add_section()
    if not result.steps:
        table.add_row(f"{out} is an input", f"{d}{out} = 1 (seed)", "", "")

    grads = FitTable(title="gradient")
    grads.add_column("input")
    grads.add_column("sum of what it received")
    for name, grad in result.gradient.items():
        terms = result.received.get(name, [])
        if name == out:
            text = f"{d}{name} = 1 (seed)"
        elif not terms:
            text = f"{d}{name} = 0 ({out} does not depend on {name})"
        else:
            text = upstream_cell(name, grad, terms, sources=True, d=d)
        grads.add_row(name, text)
    if not result.through_steps:
        return Group(table, "", grads)
    steps = FitTable(title="the gradient through the steps (backprop through time)",
                     caption=f"|{d}X|: the norm of d{out}/dX; it shrinks step by step where the gradient vanishes")
    steps.add_column("statement")
    steps.add_column(f"|{d}X|", justify="right")
    for name, norm in result.through_steps:
        steps.add_row(name, short(norm))
    return Group(table, "", grads, "", steps)
