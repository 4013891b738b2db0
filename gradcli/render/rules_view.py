"""Renderers for ``explain --rules``: each step an equation with its rule named, then the result."""

from __future__ import annotations

from gradcli.analyses.rules import RulesResult
from gradcli.support.numbers import short


def rules_json(result: RulesResult) -> dict:
    return {"output": result.output, "formula": result.formula, "value": result.value,
            "derivatives": [{"wrt": d.wrt, "result": d.result, "value": d.value,
                             "steps": [{"expression": s.expression, "rule": s.rule, "form": s.form,
                                        "result": s.result} for s in d.steps]} for d in result.derivations]}


def rules_rich(result: RulesResult):
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.tables import FitTable

    out = result.output
    parts = [Text(f"{out} = {result.formula}", style="bold")]
    for d in result.derivations:
        x = d.wrt
        table = FitTable(title=f"d{out}/d{x}, rule by rule (outside in)", title_style=None)
        table.add_column("step")
        table.add_column("rule")
        for s in d.steps:
            line = f"d/d{x}[{s.expression}] = {s.form}"
            if s.result != s.form:
                line += f"\n= {s.result}"
            table.add_row(line, s.rule)
        if not d.steps:
            table.add_row(f"d/d{x}[{result.formula}] = 0", f"{out} does not depend on {x}")
        parts += [Text(""), table,
                  Text(f"d{out}/d{x} = {d.result} = {short(d.value)} here (the reverse sweep's value)", style="bold")]
    return Group(*parts)
