"""``gradcli quiz``: a random computational graph to backpropagate by hand, graded like ``check --against``.

CS231n's and the d2l exercises hand the student a small graph with numbers on its inputs and ask
for the gradient at every node.  A quiz is one such graph, drawn from ``--seed`` at a level:

1. gates: two or three of +, *, max on small whole numbers (CS231n's "patterns in backward flow");
2. a fork: one input used twice, whose gradient is the sum of both paths;
3. a neuron: the sigmoid neuron, staged with its gate;
4. a layer: ``h = W @ x + b`` and a loss on it, with a 2 x 2 matrix.

The blanks are the adjoints ``d_X`` of the named statements and the inputs; the answers are the
reverse sweep's.  Answers come back as ``d_X = value`` statements (or expressions) and are graded
by ``analyses/grading.py`` at the quiz's own point, so a wrong one gets its slip named.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from gradcli.analyses.grading import GradeResult, grade
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load
from gradcli.autodiff.problem import Problem
from gradcli.core.values import dense, to_json

LEVELS = {1: "gates", 2: "a fork", 3: "a neuron", 4: "a layer"}


@dataclass
class Quiz:
    level: int
    seed: int
    program: str
    output: str
    blanks: list[str]  # the adjoints asked for, in sweep order (d_q, ..., d_x)
    answers: dict = field(default_factory=dict)  # blank -> the sweep's value
    graded: GradeResult | None = None
    show_answers: bool = False


def make_quiz(level: int, seed: int) -> Quiz:
    rng = random.Random(seed * 10 + level)
    program = _PROGRAMS[level](rng)
    problem = load(program)
    sweep = evaluate(problem)
    tape = problem.tape
    named = [name for name in tape.program_names if name in tape.names and name != problem.output]
    blanks = sorted((f"d_{name}" for name in named), key=lambda d: -tape.names[d[2:]])
    answers = {d: to_json(dense(sweep.adjoints[tape.names[d[2:]]])) for d in blanks}
    return Quiz(level, seed, program, problem.output, blanks, answers)


def problem_of(quiz: Quiz) -> Problem:
    return load(quiz.program)


def grade_quiz(quiz: Quiz, answers: str) -> Quiz:
    quiz.graded = grade(problem_of(quiz), answers, points=0)
    return quiz


def _small(rng: random.Random) -> int:
    return rng.choice([-4, -3, -2, -1, 1, 2, 3, 4, 5])


def _gates(rng: random.Random) -> str:
    x, y, z = _small(rng), _small(rng), _small(rng)
    first = rng.choice(["x + y", "x*y", "max(x, y)"])
    second = rng.choice(["q*z", "q + z", "max(q, z)"]) if first != "max(x, y)" else "q*z"
    return f"x = {x}\ny = {y}\nz = {z}\nq = {first}\nf = {second}\n"


def _fork(rng: random.Random) -> str:
    x, y = _small(rng), _small(rng)
    shape = rng.choice(["q = x*y\nf = q + x*x", "q = x + y\nf = q*x", "q = x*y\nf = q*q + y"])
    return f"x = {x}\ny = {y}\n{shape}\n"


def _neuron(rng: random.Random) -> str:
    w0, x0, w1, x1, w2 = (_small(rng) for _ in range(5))
    return (f"w0 = {w0}\nx0 = {x0}\nw1 = {w1}\nx1 = {x1}\nw2 = {w2}\n"
            "dot = w0*x0 + w1*x1 + w2\nf = sigmoid(dot)\n")


def _layer(rng: random.Random) -> str:
    W = [[_small(rng) for _ in range(2)] for _ in range(2)]
    x = [_small(rng) for _ in range(2)]
    b = [_small(rng) for _ in range(2)]
    loss = rng.choice(["L = sum(h*h)", "L = sum(relu(h))", "L = sum(h*y)"])
    extra = f"y = {[_small(rng) for _ in range(2)]}\n" if "y" in loss else ""
    return f"W = {W}\nx = {x}\nb = {b}\n{extra}h = W @ x + b\n{loss}\n"


_PROGRAMS = {1: _gates, 2: _fork, 3: _neuron, 4: _layer}

__all__ = ["make_quiz", "grade_quiz", "Quiz", "LEVELS"]
