"""Renderers for ``gradcli quiz``: the exercise (a gradcli program and its blanks), the answer sheet
in text or LaTeX, and graded answers."""

from __future__ import annotations

from gradcli.analyses.quiz import LEVELS, Quiz
from gradcli.render.grade_view import grade_json


def quiz_text(quiz: Quiz) -> str:
    out = quiz.output
    lines = [f"# gradcli quiz, level {quiz.level} ({LEVELS[quiz.level]}), seed {quiz.seed}: "
             f"fill in each d_X = d{out}/dX at these values", *quiz.program.rstrip("\n").splitlines()]
    if quiz.show_answers:
        lines.append("# the answers (the reverse sweep's)")
        lines += [f"{d} = {_number(v)}" for d, v in quiz.answers.items()]
    else:
        lines.append(f"# your answers; grade them with: gradcli quiz --level {quiz.level} --seed {quiz.seed} "
                     "--grade @answers.txt")
        lines += [f"{d} = ?" for d in quiz.blanks]
    return "\n".join(lines)


def quiz_latex(quiz: Quiz) -> str:
    from gradcli.core.symbolic import latex_name

    out = latex_name(quiz.output)
    rows = [rf"\frac{{\partial {out}}}{{\partial {latex_name(d[2:])}}} &= {_latex_number(v)} \\"
            for d, v in quiz.answers.items()]
    if rows:
        rows[-1] = rows[-1][:-3]
    return "\\begin{align*}\n" + "\n".join(rows) + "\n\\end{align*}"


def quiz_json(quiz: Quiz) -> dict:
    data = {"level": quiz.level, "seed": quiz.seed, "program": quiz.program, "output": quiz.output,
            "blanks": quiz.blanks}
    if quiz.show_answers:
        data["answers"] = quiz.answers
    return data


def _missing(quiz: Quiz) -> list[str]:
    return [d for d in quiz.blanks if d not in {g.name for g in quiz.graded.adjoints}]


def graded_json(quiz: Quiz) -> dict:
    data = {"level": quiz.level, "seed": quiz.seed, **grade_json(quiz.graded), "missing": _missing(quiz)}
    data["ok"] = data["ok"] and not data["missing"]
    return data


def graded_rich(quiz: Quiz):
    from rich.console import Group
    from rich.text import Text

    from gradcli.render.grade_view import grade_rich

    missing = _missing(quiz)
    parts = [grade_rich(quiz.graded)]
    if missing:
        parts.append(Text(f"not answered: {', '.join(missing)}", style="red"))
    return Group(*parts)


def graded_outcome(quiz: Quiz):
    from gradcli.render.composed import check_outcome
    from gradcli.support.errors import ExitCode, GradError

    late, error = check_outcome(quiz.graded)
    missing = _missing(quiz)
    if error is None and missing:
        error = GradError(f"no answer for {', '.join(missing)}", kind="check-failed")
        error.exit_code = ExitCode.FAILED
    return late, error


def _number(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_number(x) for x in v) + "]"
    from gradcli.support.numbers import short

    return short(v)


def _latex_number(v) -> str:
    if isinstance(v, list) and v and isinstance(v[0], list):
        return r"\begin{pmatrix} " + r" \\ ".join(" & ".join(_number(x) for x in row) for row in v) + r" \end{pmatrix}"
    if isinstance(v, list):
        return r"\begin{pmatrix} " + r" \\ ".join(_number(x) for x in v) + r" \end{pmatrix}"
    return _number(v)
