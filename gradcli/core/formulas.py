"""An op's rules as text the user can read and run: the partial over the operands' labels,
simplified (``2*x`` for ``2*x^(2-1)``), and the tensor-level rule (``g @ transpose(x)``).

They live beside the table, not in it, because simplifying needs ``core.symbolic``, which
reads the table: the table itself stays free of that import.
"""

from __future__ import annotations

from gradcli.core import array_rules
from gradcli.core.ops import Op
from gradcli.core.symbolic import simplified_formula


def partial_formula(op: Op, j: int, labels: list[str], out_label: str = "") -> str:
    """The symbolic partial of ``op`` with respect to operand ``j``, over the operands' labels, simplified."""
    text = simplified_formula(op, j, labels, out_label)
    return text if text is not None else op.formula_text(j, labels, out_label)


def tensor_formula(op: Op, j: int, labels: list[str], out_label: str, g: str, params: tuple,
                   shapes: list[tuple]) -> str:
    """The rule handing the gradient ``g`` to operand ``j`` at the tensor level, as a gradcli
    expression that evaluates to that operand's VJP: ``g @ transpose(x)``, ``sum(g * cos(x), 0)``.

    ``g`` names the gradient arriving (``dq`` in a backward pass written out); ``shapes`` are
    the operands' shapes.  The value has the operand's shape, or broadcasts into it along an
    axis a reduction removed (``dS += expand_dims(dv, 1)`` for ``v = sum(S, 1)``).
    """
    rule = op.array.rule
    if rule is not None:
        return rule(j, array_rules.RuleNames(labels, out_label, g, params, shapes))
    local = partial_formula(op, j, labels, out_label)
    if local == "1":
        text = g
    elif local == "-1":
        text = f"-{g}"
    else:
        text = f"{g} * {local}" if _atomic(local) else f"{g} * ({local})"
    return array_rules.summed_to(text, shapes[j], op.array.shape(params, *shapes))


def _atomic(text: str) -> bool:
    return text.replace("_", "").replace(".", "").isalnum() or (text.endswith(")") and "(" in text
                                                                and text.index("(") > 0
                                                                and text[:text.index("(")].isalnum())
