"""gradcli quiz: a random graph to backpropagate by hand, its answer sheet, and the grading of answers."""

from __future__ import annotations

import click

from gradcli.analyses.quiz import LEVELS
from gradcli.cli.commands.common import Command, json_option

HELP = """A random computational graph to backpropagate by hand, and its grading.

\b
Levels: 1 gates (+, *, max on small numbers), 2 a fork (one input used
twice), 3 the sigmoid neuron with its gate, 4 a layer h = W @ x + b.
The same --level and --seed give the same quiz.  Fill in each d_X, the
derivative of the output with respect to X, and hand the answers back:

\b
Examples:
  gradcli quiz --level 2 --seed 7
  gradcli quiz --level 2 --seed 7 --grade 'd_q = -3; d_y = -3; d_x = -8'
  gradcli quiz --level 2 --seed 7 --grade @answers.txt --json
  gradcli quiz --level 3 --seed 1 --answers            (the answer sheet)
  gradcli quiz --level 3 --seed 1 --answers --latex
"""


@click.command("quiz", cls=Command, help=HELP)
@click.option("--level", type=click.IntRange(1, len(LEVELS)), default=1, show_default=True,
              help="1 gates, 2 a fork, 3 a neuron, 4 a layer.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Which quiz of the level.")
@click.option("--answers", "show_answers", is_flag=True, help="Print the answer sheet.")
@click.option("--latex", is_flag=True, help="With --answers: the sheet as LaTeX.")
@click.option("--grade", "answers", metavar="ANSWERS",
              help="Grade answers: d_X = value statements, as text, @FILE or - for standard input.")
@json_option
@click.pass_context
def command(ctx, level, seed, show_answers, latex, answers, as_json):
    from gradcli.analyses.quiz import grade_quiz, make_quiz
    from gradcli.cli.present import present
    from gradcli.render.views import view
    from gradcli.support.errors import UsageError

    if latex and (not show_answers or as_json):
        raise UsageError("--latex writes the answer sheet: give it with --answers, without --json")
    if answers is not None and show_answers:
        raise UsageError("--grade and --answers: grade your answers first, then ask for the sheet")
    quiz = make_quiz(level, seed)
    quiz.show_answers = show_answers
    if answers is not None:
        from gradcli.cli.commands.check import read_backward

        grade_quiz(quiz, read_backward(answers))
        return present(ctx, view("quiz", "graded"), quiz, "json" if as_json else "table")
    present(ctx, view("quiz"), quiz, "json" if as_json else "latex" if latex else "text")
