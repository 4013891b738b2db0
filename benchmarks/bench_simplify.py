"""How simple are gradcli's closed forms? Against SymPy's simplify of the same derivative, by operation count.

    .venv/bin/python benchmarks/bench_simplify.py [PROGRAMS] [SEED]

Needs SymPy in that venv (PyTorch's wheel brings it; it is never a dependency of gradcli).
Random programs of two to four statements over x, y, z (+, -, *, /, powers, sin, cos, exp,
log, sqrt, tanh); for each input, gradcli's closed form (``derive --closed-form``) and
``sympy.simplify(sympy.diff(f, input))`` are both counted by ``sympy.count_ops`` (gradcli's text
parsed without evaluation, so SymPy's automatic simplification adds nothing to it), and each
pair is checked equal at a random point.  The goal: no larger on at least 90% of them.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

UNARY = ["sin({})", "cos({})", "exp({})", "log(1 + ({})^2)", "sqrt(1 + ({})^2)", "tanh({})", "({})^2", "({})^3"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (1 + ({})^2)"]
NAMES = ["x", "y", "z"]


def random_program(rng: random.Random) -> str:
    pool, lines = list(NAMES), []
    for k in range(rng.randint(2, 4)):
        if rng.random() < 0.45:
            text = rng.choice(UNARY).format(rng.choice(pool))
        else:
            template = rng.choice(BINARY)
            a, b = rng.choice(pool), rng.choice(pool)
            text = template.format(a, b, b) if template.count("{}") == 3 else template.format(a, b)
        lines.append(f"t{k} = {text}")
        pool.append(f"t{k}")
    lines.append(f"f = {pool[-1]} + {rng.choice(pool[:-1])}")
    return "; ".join(lines)


def main(count: int = 300, seed: int = 1) -> None:
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    from gradcli.analyses.derive import closed_forms
    from gradcli.autodiff.loading import load

    rng = random.Random(seed)
    symbols = {n: sympy.Symbol(n) for n in NAMES}
    ours_ops, theirs_ops, no_larger, pairs, skipped = [], [], 0, 0, 0
    ours_time = theirs_time = 0.0
    for _ in range(count):
        text = random_program(rng)
        env = dict(symbols)
        for statement in text.split(";"):
            target, expr = (s.strip() for s in statement.split("="))
            env[target] = sympy.sympify(expr.replace("^", "**"), locals=env)
        problem = load(text, require_values=False, of="f")
        start = time.perf_counter()
        forms, _ = closed_forms(problem)
        ours_time += time.perf_counter() - start
        for name, form in forms.items():
            if form is None:
                skipped += 1
                continue
            start = time.perf_counter()
            theirs = sympy.simplify(sympy.diff(env["f"], symbols[name]))
            theirs_time += time.perf_counter() - start
            ours = parse_expr(form.replace("^", "**"), local_dict=dict(symbols), evaluate=False)
            point = {s: rng.uniform(0.3, 1.2) for s in symbols.values()}
            a, b = complex(ours.evalf(subs=point)), complex(theirs.evalf(subs=point))
            assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), (text, name, form, theirs)
            o, t = sympy.count_ops(ours), sympy.count_ops(theirs)
            ours_ops.append(o)
            theirs_ops.append(t)
            no_larger += o <= t
            pairs += 1
    print(f"{count} random programs, {pairs} derivatives (seed {seed}; {skipped} closed forms too large to write)")
    print(f"  gradcli no larger than SymPy's simplify: {no_larger}/{pairs} = {100 * no_larger / pairs:.1f}% "
          f"(goal ≥ 90%)")
    print(f"  operations, median (mean): gradcli {statistics.median(ours_ops)} ({statistics.mean(ours_ops):.1f}), "
          f"SymPy {statistics.median(theirs_ops)} ({statistics.mean(theirs_ops):.1f})")
    print(f"  time: gradcli's closed forms {ours_time:.2f} s, SymPy's diff + simplify {theirs_time:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
