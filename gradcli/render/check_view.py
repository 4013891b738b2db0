"""Renderers for `gradcli check`: the comparison table and the nudge in the course's words."""

from __future__ import annotations

from gradcli.analyses.checking import FAIL, KINK, NOISY, SAMPLE_SEED, CheckResult, InputCheck
from gradcli.support.numbers import short
from gradcli.render.tables import FitTable

SHOWN_ELEMENTS = 20  # rows of a table of array elements; the rest are summed up in a line


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
        }
        if n is not None:
            inputs[c.name]["nudge"] = {"from": n.before, "to": n.after, "output_from": n.out_before,
                                       "output_to": n.out_after, "slope": n.slope}
    data = {"ok": result.ok, "output": result.output, "value": result.value,
            "rtol": result.rtol, "atol": result.atol, "eps": result.eps, "inputs": inputs}
    if result.elements is not None:
        worst = result.closest_to_failing
        data.update({"shapes": {name: list(s) for name, s in result.shapes.items()},
                     "elements": result.elements, "checked": len(result.inputs), "sampled": result.sampled,
                     "evaluations": 2 * len(result.inputs),
                     "worst": worst.name if worst else None})
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
    shown = result.inputs
    if len(shown) > SHOWN_ELEMENTS:  # on array elements: those furthest from passing, in element order
        ranked = sorted(shown, key=_badness, reverse=True)[:SHOWN_ELEMENTS]
        keep = {id(c) for c in ranked}
        shown = [c for c in result.inputs if id(c) in keep]
    for c in shown:
        table.add_row(c.name, short(c.value), short(c.analytic), short(c.numeric, 10),
                      f"{c.abs_error:.2e}", f"{c.rel_error:.2e}", _status_text(c))
    if not result.inputs:
        table.add_row("(no inputs)", "", "", "", "", "", "")
    lines = [Text(f"kink: not a derivative ({c.name}: {c.kink})", style="yellow")
             for c in result.inputs if c.kink]
    lines += [Text(f"noisy: rounding in {out} limits the difference to ±{c.floor:.2g} ({c.name}); "
                   "not a failure", style="yellow") for c in result.inputs if c.status == NOISY]
    if result.elements is not None:
        lines += element_lines(result, len(shown))
    nudged = [c for c in result.inputs if c.nudge is not None]
    lines += [Text("nudges:", style="bold")] if nudged else []
    lines += [Text("  " + nudge_line(c, out)) for c in nudged]
    return Group(table, "", *lines)


def _badness(c: InputCheck) -> float:
    return c.abs_error / c.tolerance if c.tolerance > 0 else float("inf")


def element_lines(result: CheckResult, shown: int) -> list:
    """How many elements were checked (all, or a fixed sample) and which came closest to failing."""
    from rich.text import Text

    checked = len(result.inputs)
    if result.sampled:
        what = (f"checked a fixed random sample of {checked:,} of the {result.elements:,} input elements "
                f"(seed {SAMPLE_SEED}; --sample N sets its size)")
    else:
        what = f"checked every input element ({checked:,})"
    what += f", {2 * checked:,} evaluations"
    if shown < checked:
        what += f"; the {shown} furthest from their tolerance are shown"
    lines = [Text(what, style="dim")]
    worst = result.closest_to_failing
    if worst is not None:
        lines.append(Text(f"worst element: {worst.name}: analytic {short(worst.analytic)}, numeric "
                          f"{short(worst.numeric, 10)} (abs error {worst.abs_error:.2e}, "
                          f"{worst.status if worst.status != FAIL else 'FAIL'})"))
    return lines
