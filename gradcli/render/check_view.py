"""Renderers for `gradcli check`: the comparison table and the nudge in the course's words."""

from __future__ import annotations

from gradcli.analyses.checking import FAIL, KINK, NOISY, CheckResult, InputCheck
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable


def slope_text(slope: float) -> str:
    """``3.000`` as the course writes it; very small or large slopes in scientific notation."""
    if slope == 0 or 1e-3 <= abs(slope) < 1e6:
        return f"{slope:.3f}"
    return f"{slope:.4g}"


def distinct(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with six significant digits, or as many more as it takes to tell them apart."""
    for digits in range(6, 18):
        if a == b or float(f"{a:.{digits}g}") != float(f"{b:.{digits}g}"):
            return short(a, digits), short(b, digits)
    return short(a, 17), short(b, 17)


def nudge_line(check: InputCheck, output: str) -> str:
    """``a: 5 -> 5.001 moves J: 33 -> 33.003, slope 3.000``."""
    n = check.nudge
    before, after = distinct(n.before, n.after)
    head = f"{check.name}: {before} -> {after}"
    if n.out_after is None:
        return f"{head} leaves the domain ({n.problem})"
    out_before, out_after = distinct(n.out_before, n.out_after)
    return f"{head} moves {output}: {out_before} -> {out_after}, slope {slope_text(n.slope)}"


def check_json(result: CheckResult) -> dict:
    inputs = {}
    for c in result.inputs:
        n = c.nudge
        inputs[c.name] = {
            "value": c.value, "analytic": c.analytic, "numeric": c.numeric,
            "abs_error": c.abs_error, "rel_error": c.rel_error, "ok": c.ok,
            "status": c.status, "kink": c.kink, "step": c.step, "tolerance": c.tolerance,
            "rounding_floor": c.floor,
            "nudge": {"from": n.before, "to": n.after, "output_from": n.out_before,
                      "output_to": n.out_after, "slope": n.slope},
        }
    data = {"ok": result.ok, "output": result.output, "value": result.value,
            "rtol": result.rtol, "atol": result.atol, "eps": result.eps, "inputs": inputs}
    if not result.ok:
        err = result.failure()
        data["error"] = {"kind": err.kind, "message": err.message, "worst": result.worst.name}
    return data


def _status_text(c: InputCheck):
    from rich.text import Text

    if c.status == KINK:
        return Text("kink", style="yellow")
    if c.status == NOISY:
        return Text("noisy", style="yellow")
    if c.status == FAIL:
        return Text("FAIL", style="bold red")
    return Text("pass", style="green")


def check_rich(result: CheckResult):
    from rich.console import Group
    from rich.text import Text

    out = result.output
    step = "h scaled to |x|" if result.eps is None else f"h = {short(result.eps)}"
    table = FitTable(title=f"{out} = {short(result.value)}: reverse sweep vs central differences",
                     caption=f"{step}, rtol {result.rtol:g}, atol {result.atol:g}")
    for col, justify in [("input", "left"), ("value", "right"), ("analytic", "right"), ("numeric", "right"),
                         ("abs error", "right"), ("rel error", "right"), ("", "left")]:
        table.add_column(col, justify=justify)
    for c in result.inputs:
        table.add_row(c.name, short(c.value), short(c.analytic), short(c.numeric, 10),
                      f"{c.abs_error:.2e}", f"{c.rel_error:.2e}", _status_text(c))
    if not result.inputs:
        table.add_row("(no inputs)", "", "", "", "", "", "")
    lines = [Text(f"kink: not a derivative ({c.name}: {c.kink})", style="yellow")
             for c in result.inputs if c.kink]
    lines += [Text(f"noisy: rounding in {out} limits the difference to ±{c.floor:.2g} ({c.name}); "
                   "not a failure", style="yellow") for c in result.inputs if c.status == NOISY]
    lines += [Text("nudges:", style="bold")] if result.inputs else []
    lines += [Text("  " + nudge_line(c, out)) for c in result.inputs]
    return Group(table, "", *lines)
