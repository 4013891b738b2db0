"""Renderers for `gradcli health`: the figures, each with its verdict, and the rules they are judged by."""

from __future__ import annotations

from gradcli.analyses.health import OK, WARN, HealthReport
from gradcli.render.tables import FitTable
from gradcli.support.numbers import short


def _verdict(verdict: str, note: str) -> str:
    mark = {OK: "ok", WARN: "! "}.get(verdict, "")
    return f"{mark}: {note}" if verdict == OK else f"{mark}{note}"


def _ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.3g}"


def health_rich(report: HealthReport):
    from rich.console import Group

    parts = []
    rows = f"{report.rows:,} row{'s' if report.rows != 1 else ''} ({report.rows_from})"
    parts.append(f"Gradient health of {report.output} = {short(report.loss)} over {rows}; "
                 f"update = {report.update_from}")
    used = []
    if report.activations:
        table = FitTable(title="Activations")
        for header, justify in (("node", "left"), ("kind", "left"), ("rows x units", "right"),
                                ("saturated", "right"), ("units dead/saturated for every row", "right"),
                                ("verdict", "left")):
            table.add_column(header, justify)
        for a in report.activations:
            share = "-" if a.saturated is None else f"{a.saturated:.1%}"
            always = f"{a.always} of {a.units}" if a.rows > 1 or a.kind == "relu" else "-"
            table.add_row(f"{a.node} = {a.definition}", a.kind, f"{a.rows:,} x {a.units:,}", share, always,
                          _verdict(a.verdict, a.note))
            used.append(a.kind)
        parts.append(table)
    else:
        parts.append("No tanh, sigmoid or ReLU node.")
    table = FitTable(title="Parameters")
    for header, justify in (("parameter", "left"), ("shape", "left"), ("|W|", "right"), ("|gradient|", "right"),
                            ("|update|", "right"), ("|update| / |W|", "right"), ("verdict", "left")):
        table.add_column(header, justify)
    for p in report.parameters:
        table.add_row(p.name, _shape(p.shape), short(p.norm), short(p.gradient_norm), short(p.update_norm),
                      _ratio(p.ratio), _verdict(p.verdict, p.note))
    parts.append(table)
    used += ["gradient", "ratio"]
    c = report.chance
    if c.classes is not None:
        parts.append(f"Loss {short(c.loss)} against its chance value -ln(1/{c.classes}) = {short(c.chance)} "
                     f"(C = {c.classes}, the classes of {c.logits}): {_verdict(c.verdict, c.note)}")
        used.append("chance")
    else:
        parts.append(f"Loss {short(c.loss)}: {c.note}")
    if report.paths:
        table = FitTable(title="Paths from the parameters to the loss (product of gains)", keys=0)
        for header, justify in (("", "left"), ("path", "left"), ("gains", "left"), ("product", "right"),
                                ("verdict", "left")):
            table.add_column(header, justify)
        for path in report.paths:
            table.add_row(path.which, " -> ".join(path.nodes), ", ".join(f"{g:.3g}" for g in path.gains),
                          f"{path.product:.3g}", "ok" if path.verdict == OK else
                          ("! vanishes" if path.product < 1 else "! explodes"))
        parts.append(table)
        used.append("paths")
    lines = ["Rules of thumb:"]
    for key in dict.fromkeys(used):
        rule = report.rules[key]
        lines.append(f"- {key}: {rule.text} ({rule.source})")
    flagged = report.flagged
    lines.append(f"{flagged} figure{'s' if flagged != 1 else ''} flagged." if flagged else "Nothing flagged.")
    parts.append("\n".join(lines))
    from gradcli.render.cells import literal

    shown = []
    for k, part in enumerate(parts):
        if k:
            shown.append("")
        shown.append(literal(part) if isinstance(part, str) else part)
    return Group(*shown)


def _shape(s: tuple) -> str:
    return "number" if not s else "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def health_json(report: HealthReport) -> dict:
    return {
        "output": report.output,
        "loss": report.loss,
        "rows": report.rows,
        "rows_from": report.rows_from,
        "lr": report.lr,
        "update_from": report.update_from,
        "activations": [{"node": a.node, "kind": a.kind, "definition": a.definition, "rows": a.rows,
                         "units": a.units, "saturated_share": a.saturated, "always": a.always,
                         "verdict": a.verdict, "note": a.note, "rule": a.kind} for a in report.activations],
        "parameters": [{"name": p.name, "shape": list(p.shape), "norm": p.norm, "gradient_norm": p.gradient_norm,
                        "update_norm": p.update_norm, "ratio": p.ratio, "verdict": p.verdict, "note": p.note,
                        "rule": "ratio"} for p in report.parameters],
        "chance": {"loss": report.chance.loss, "classes": report.chance.classes, "chance": report.chance.chance,
                   "logits": report.chance.logits, "verdict": report.chance.verdict, "note": report.chance.note,
                   "rule": "chance"},
        "paths": [{"parameter": p.parameter, "nodes": p.nodes, "gains": p.gains, "product": p.product,
                   "which": p.which, "verdict": p.verdict, "rule": "paths"} for p in report.paths],
        "rules": {key: {"text": rule.text, "source": rule.source} for key, rule in report.rules.items()},
        "flagged": report.flagged,
    }
