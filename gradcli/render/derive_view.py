"""Renderers for `gradcli derive`: the backward pass as program text, closed forms, LaTeX, JSON.

The text form is a gradcli program (comments included), so it can be piped
into ``gradcli eval -f -``.  The LaTeX form is an ``align*`` environment.
"""

from __future__ import annotations

from gradcli.analyses.derive import CLOSED_FORM_LIMIT, Derived
from gradcli.analyses.passes import has_arrays

TOO_LARGE = "more than {limit} nodes written out; the program below computes it as {name}"


def derive_json(result: Derived) -> dict:
    if not isinstance(result, Derived):  # an array program's, at the tensor level
        return {"output": result.output, "inputs": list(result.adjoints), "program": result.program,
                "adjoints": result.adjoints, "bind_again": result.unwritten,
                "statements": [{"name": s.name, "expression": s.text, "shape": list(s.shape),
                                "adjoint": k >= len(result.forward), "from": s.sources, "why": s.why}
                               for k, s in enumerate([*result.forward, *result.backward])],
                "closed_form": result.closed_form, "where": result.where,
                "fused": {name: {"rule": rule, "difference": difference}
                          for name, (rule, difference) in result.fused.items()}}
    return {"output": result.output, "inputs": list(result.adjoints), "program": result.program,
            "adjoints": result.adjoints, "closed_form": result.closed_form}


def derive_text(result: Derived, closed_form: bool) -> str:
    if not isinstance(result, Derived):  # an array program's, at the tensor level
        if not closed_form:
            return result.program.rstrip("\n")
        return _array_closed_text(result)
    out = result.output
    if closed_form:
        lines = []
        for name, text in result.closed_form.items():
            if text is None:
                limit = TOO_LARGE.format(limit=CLOSED_FORM_LIMIT, name=result.adjoints[name])
                lines.append(f"d{out}/d{name}: {limit}")
            else:
                lines.append(f"d{out}/d{name} = {text}")
        if any(text is None for text in result.closed_form.values()):
            lines += ["", _program_text(result)]
        return "\n".join(lines).rstrip("\n")
    return _program_text(result).rstrip("\n")


def _array_closed_text(result) -> str:
    out = result.output
    lines = []
    for name, text in result.closed_form.items():
        if text is None:
            lines.append(f"d{out}/d{name}: {TOO_LARGE.format(limit=CLOSED_FORM_LIMIT, name=result.adjoints[name])}")
        else:
            lines.append(f"d{out}/d{name} = {text}")
    if result.where:
        lines.append("where")
        lines += [f"  {name} = {text}" for name, text in result.where.items()]
    if any(text is None for text in result.closed_form.values()):
        lines += ["", result.program.rstrip("\n")]
    return "\n".join(lines)


def _program_text(result: Derived) -> str:
    k = result.forward_count
    lines = ["# the program"]
    lines += [f"{name} = {text}" for name, text in result.lines[:k]]
    lines.append(f"# its backward pass, in sweep order: d_X = d{result.output}/dX")
    lines += [f"# d_{name} is a name of the program: d{result.output}/d{name} is {adjoint} here"
              for name, adjoint in result.adjoints.items() if adjoint != f"d_{name}"]
    lines += [f"{name} = {text}" for name, text in result.lines[k:]]
    return "\n".join(lines) + "\n"


def derive_latex(result: Derived, closed_form: bool) -> str:
    if not isinstance(result, Derived):  # an array program's, in matrix notation
        return _array_latex(result, closed_form)
    blocks = []
    if closed_form:
        out = result.symbol(result.output)
        rows = []
        for name, text in result.closed_latex.items():
            lhs = rf"\frac{{\partial {out}}}{{\partial {result.symbol(name)}}}"
            if text is None:
                rows.append(f"% d{result.output}/d{name}: "
                            + TOO_LARGE.format(limit=CLOSED_FORM_LIMIT, name=result.adjoints[name]))
            else:
                rows.append(rf"{lhs} &= {text} \\")
        blocks.append(_align(rows))
        if all(text is not None for text in result.closed_latex.values()):
            return "\n".join(blocks)
    k = result.forward_count
    rows = [rf"{name} &= {text} \\" for name, text in result.latex_lines[:k]]
    rows.append(r"\intertext{the backward pass, in sweep order:}")
    rows += [rf"{name} &= {text} \\" for name, text in result.latex_lines[k:]]
    blocks.append(_align(rows))
    return "\n".join(blocks)


def derive_numpy(result) -> str:
    """The backward pass as ``def forward_backward(...)`` over numpy arrays (render/numpy_code.py)."""
    from gradcli.core.symbolic import number_text
    from gradcli.render.numpy_code import numpy_function

    problem = result.problem
    inputs = [name for name in problem.tape.input_names() if name in problem.values or name in result.adjoints]
    if isinstance(result, Derived):
        values = {name: number_text(v) for name, v in problem.values.items()}
        forward = result.forward_count
    else:
        values = {s.name: s.text for s in result.forward if s.text is not None and s.name in inputs}
        forward = sum(1 for s in result.forward if s.text is not None)
    return numpy_function(result.program, inputs, result.output, result.adjoints, values, forward,
                          numpy_numbers=has_arrays(problem), loaded=getattr(result, "unwritten", [])).rstrip("\n")


def _array_latex(result, closed_form: bool) -> str:
    if not closed_form or any(text is None for text in result.closed_latex.values()):
        from gradcli.analyses.derive_arrays import statements_latex

        if result.latex_lines is None:
            statements_latex(result)
    rows = []
    if closed_form:
        from gradcli.core.symbolic import latex_name

        out = latex_name(result.output)
        for name, text in result.closed_latex.items():
            if text is None:
                rows.append(f"% d{result.output}/d{name}: "
                            + TOO_LARGE.format(limit=CLOSED_FORM_LIMIT, name=result.adjoints[name]))
            else:
                rows.append(rf"\frac{{\partial {out}}}{{\partial {latex_name(name)}}} &= {text} \\")
        if result.where_latex:
            rows.append(r"\intertext{where}")
            rows += [rf"{latex_name(name)} &= {text} \\" for name, text in result.where_latex.items()]
        if all(text is not None for text in result.closed_latex.values()):
            return _align(rows)
        rows.append(r"\intertext{the backward pass, in sweep order:}")
    rows += [rf"{name} &= {text} \\" for name, text in result.latex_lines]
    return _align(rows)


def _align(rows: list[str]) -> str:
    if rows and rows[-1].endswith(r" \\"):
        rows = rows[:-1] + [rows[-1][:-3]]
    return "\\begin{align*}\n" + "\n".join(rows) + "\n\\end{align*}"
