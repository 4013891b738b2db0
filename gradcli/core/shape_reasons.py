"""Why an array rule has the form it has: the shapes that leave one arrangement, and the element form.

Students ask "why is there a transpose in the matmul gradient" and "why is the bias gradient
summed over the batch".  The answer is the shapes: the gradient of W has W's shape, and the
only product of the upstream gradient and the other operand that has it is the rule
(``dW = dq x^T`` because dq is (2,), x is (2,) and W is (2, 2)); element by element it is the
chain rule over the indices (``dW[i,j] = dq[i] x[j]``).  ``reason`` writes that sentence for
the edges where the form is not plain elementwise arithmetic: matrix products, outer products,
transposes, reductions over an axis, and operands that broadcasting stretched.
"""

from __future__ import annotations

from gradcli.core.values import shape_text

_INDEX = "ijklmn"


def reason(op, j: int, labels: list[str], out: str, g: str, params: tuple, shapes: list[tuple],
           out_shape: tuple, rule: str, d: str = "d") -> str | None:
    """One line: the shapes, the one arrangement that fits, and the element form; None where the
    rule is elementwise arithmetic on arrays of one shape (nothing to explain beyond the partial)."""
    x, sx = labels[j], tuple(shapes[j])
    dx = f"{d}{x}"
    name = op.name
    if name in ("matmul", "dot") and len(shapes) == 2 and all(1 <= len(s) <= 2 for s in shapes):
        return _matmul(j, labels, [tuple(s) for s in shapes], g, rule, dx)
    if name == "outer":
        other, so = labels[1 - j], tuple(shapes[1 - j])
        element = (f"{dx}[i] = Σ_j {g}[i,j]*{other}[j]" if j == 0 else f"{dx}[j] = Σ_i {g}[i,j]*{other}[i]")
        return (f"{dx} is {shape_text(sx)} like {x}: {g} {shape_text(out_shape)} and {other} {shape_text(so)} "
                f"give {shape_text(sx)} as {rule}; {element}")
    if name == "transpose" and len(sx) == 2:
        return f"{dx} is {shape_text(sx)} like {x}, {g} is {shape_text(out_shape)}: {rule}; {dx}[i,j] = {g}[j,i]"
    if name in ("sum", "mean") and sx and len(out_shape) < len(sx):
        axes = _removed_axes(sx, out_shape, params)
        kept = [_INDEX[k] for k in range(len(sx)) if k not in axes]
        full = ",".join(_INDEX[k] for k in range(len(sx)))
        source = f"{g}[{','.join(kept)}]" if kept else g
        scale = "" if name == "sum" else f"/{_count(sx, axes)}"
        which = "every axis" if len(axes) == len(sx) else "axis " + ", ".join(map(str, axes))
        spread = "copied to" if name == "sum" else f"divided by {_count(sx, axes)} and copied to"
        return (f"{name} removed {which} of {x} {shape_text(sx)}: {g} {shape_text(out_shape)} is {spread} "
                f"every element it summed; {dx}[{full}] = {source}{scale}")
    if op.scalar and sx != tuple(out_shape):
        from gradcli.core.formulas import partial_formula

        local = partial_formula(op, j, labels, out)
        return _broadcast(x, sx, tuple(out_shape), g, dx, out, local)
    return None


def _matmul(j: int, labels: list[str], shapes: list[tuple], g: str, rule: str, dx: str) -> str:
    (a, b), (sa, sb) = labels, shapes
    x, sx = labels[j], shapes[j]
    other, so = labels[1 - j], shapes[1 - j]
    gshape = _matmul_shape(sa, sb)
    lead = (f"{dx} is {shape_text(sx)} like {x}: from {g} {shape_text(gshape)} and {other} {shape_text(so)} "
            f"only {rule} is {shape_text(sx)}")
    # Indices: a is (i, j) or (j,), b is (j, k) or (j,): the product sums over j.
    ia = "i,j" if len(sa) == 2 else "j"
    ib = "j,k" if len(sb) == 2 else "j"
    io = ",".join(([] if len(sa) == 1 else ["i"]) + ([] if len(sb) == 1 else ["k"]))
    g_at = f"{g}[{io}]" if io else g
    if j == 0:
        free = [s for s in ("k",) if len(sb) == 2]
        element = f"{dx}[{ia}] = " + ("Σ_k " if free else "") + f"{g_at}*{b}[{ib}]"
    else:
        free = [s for s in ("i",) if len(sa) == 2]
        element = f"{dx}[{ib}] = " + ("Σ_i " if free else "") + f"{a}[{ia}]*{g_at}"
    return f"{lead}; {element}"


def _matmul_shape(sa: tuple, sb: tuple) -> tuple:
    return tuple(sa[:-1]) + tuple(sb[1:])


def _broadcast(x: str, sx: tuple, so: tuple, g: str, dx: str, out: str, local: str) -> str:
    """The sum over the axes broadcasting stretched; the element form names the local partial
    (∂out/∂x, evaluated at each copy) unless it is 1 or -1."""
    lead = len(so) - len(sx)
    axes = list(range(lead)) + [lead + k for k, n in enumerate(sx) if n == 1 and so[lead + k] != 1]
    full = [_INDEX[k] for k in range(len(so))]
    own = [("0" if (lead + k) in axes else full[lead + k]) for k in range(len(sx))]
    summed = "".join(f"Σ_{full[k]} " for k in axes)
    target = f"{dx}[{','.join(own)}]" if sx else dx
    term = f"{g}[{','.join(full)}]"
    if local == "-1":
        term = f"-{term}"
    elif local != "1":
        term += f"*∂{out}/∂{x}[{','.join(full)}]"
    return (f"{x} {shape_text(sx)} was broadcast to {shape_text(so)} in {out}: each copy's gradient adds up, "
            f"summed over axis {', '.join(map(str, axes))}; {target} = {summed}{term}")


def _removed_axes(sx: tuple, so: tuple, params: tuple) -> list[int]:
    axis = params[0] if params else None
    keepdims = len(params) > 1 and params[-1] is True
    if axis is None:
        return list(range(len(sx)))
    axes = axis if isinstance(axis, tuple) else (axis,)
    found = sorted(a % len(sx) for a in axes)
    return found if not keepdims else found


def _count(sx: tuple, axes: list[int]) -> int:
    n = 1
    for a in axes:
        n *= sx[a]
    return n


__all__ = ["reason"]
