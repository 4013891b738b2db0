"""``check --against``: a hand-written backward pass graded adjoint by adjoint, its slip named.

The user's backward pass is gradcli statements ``d_X = expr`` (``d_X += expr`` at a fork, as
staged backward code accumulates), X a name of the program, or the values themselves
(``d_W = @my_dW.npy``).  They are evaluated after the program's own statements at the bound
point and at a few random non-degenerate points (no zeros, no ties: a zero initialisation hides
bugs), and each is compared in backward order with the reverse sweep's adjoint of X: the first
one wrong is reported with the elements that differ, and what depends on it is marked rather than
reported again.  cs231n's relative error grades each: below 1e-7 good, up to 1e-4 suspicious,
above 1e-2 wrong.  The slip is named by trying the usual ones on the true adjoint (``SLIPS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gradcli.autodiff.array_sweeps import edge_vjp
from gradcli.autodiff.gradient import evaluate
from gradcli.autodiff.loading import load, parse_bindings
from gradcli.autodiff.problem import Problem
from gradcli.core.tape import OPERATION
from gradcli.core.values import np, shape
from gradcli.support.errors import GradError, UsageError

GOOD, SUSPICIOUS, WRONG = 1e-7, 1e-4, 1e-2  # cs231n's bands of relative error
POINTS = 3  # random points beside the bound one
ATOL = 1e-12  # times the largest adjoint graded: a difference this small is rounding, whatever its relative error

# The slips tried on the true adjoint, by name (the JSON's "slip" is one of these, or null).
SLIPS = {
    "missing-fork-contribution": "= where += was needed: only one consumer's contribution",
    "missing-transpose": "a transpose missing (or one too many)",
    "bias-not-summed": "a broadcast not summed back (the sum over the batch axis missing)",
    "sign": "the sign flipped",
    "constant-factor": "off by a constant factor",
    "wrong-local-derivative": "the gate's local derivative is wrong (say sigmoid for sigmoid*(1 - sigmoid), "
                              "or 1 - z^2 with z the gate's input for tanh)",
    "wrong-shape": "the shape differs, for no known cause",
    "no-known-slip": "no known slip explains it",
}

_STATEMENT = re.compile(r"^\s*(d_[A-Za-z_]\w*)\s*(\+?=)\s*(.+?)\s*$")


@dataclass
class Graded:
    name: str  # d_W
    of: str  # W
    ok: bool
    verdict: str  # good, suspicious, wrong, depends-on-wrong, wrong-shape
    rel_error: float | None
    max_abs_diff: float | None
    where: list[int] | None = None  # the first element that differs most (arrays)
    slip: str | None = None
    expected: object = None
    got: object = None
    point: int = 0  # 0: the bound point; k: the k-th random one


@dataclass
class GradeResult:
    problem: Problem
    adjoints: list[Graded]
    points: int
    first_wrong: str | None = field(default=None)

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.adjoints)

    @property
    def output(self) -> str:
        return self.problem.output

    def failure(self) -> GradError:
        g = next(a for a in self.adjoints if a.name == self.first_wrong)
        detail = SLIPS.get(g.slip, "") if g.slip else ""
        error = GradError(f"{g.name} is wrong ({g.verdict}" + (f", relative error {g.rel_error:.3g}" if g.rel_error
                                                                 is not None else "")
                          + f"){': ' + detail if detail else ''}", kind="check-failed")
        from gradcli.support.errors import ExitCode

        error.exit_code = ExitCode.FAILED
        return error


def parse_backward(text: str) -> list[tuple[str, str, str]]:
    """``d_X = expr`` / ``d_X += expr`` statements (``;`` or new lines; ``#`` comments) as (name, op, expr)."""
    statements = []
    pieces = [piece for line in text.splitlines() for piece in line.split("#", 1)[0].split(";")]
    for k, line in enumerate(pieces, 1):
        if not line.strip():
            continue
        found = _STATEMENT.match(line)
        if found is None:
            raise UsageError(f"--against: statement {k} ({line.strip()!r}) is not d_NAME = expression or "
                             "d_NAME += expression", kind="syntax")
        statements.append(found.groups())
    if not statements:
        raise UsageError("--against: no statement d_NAME = expression was given", kind="syntax")
    return statements


def grade(problem: Problem, backward: str, points: int = POINTS, seed: int = 0) -> GradeResult:
    statements = parse_backward(backward)
    tape = problem.tape
    program = problem.tape.source
    names = tape.names
    for name, _, _ in statements:
        if name[2:] not in names:
            raise UsageError(f"--against: {name} is d(output)/d{name[2:]}, but the program has no {name[2:]}",
                             kind="unknown-name")
    fixed = {}  # d_W = @my_dW.npy: the values themselves
    for name, op, expr in statements:
        if expr.startswith("@"):
            if op != "=":
                raise UsageError(f"--against: {name} += {expr}: a file gives the whole value; write {name} = {expr}",
                                 kind="syntax")
            fixed[name] = parse_bindings([f"{name}={expr}"])[name]
    program_text, latest = _versioned(program, [st for st in statements if not st[2].startswith("@")])
    rng = np.random.default_rng(seed)
    graded: dict[str, Graded] = {}
    for point in range(points + 1):
        values = problem.values if point == 0 else _random_point(problem, rng)
        true = _true_adjoints(problem, values)
        got = _user_values(program_text, latest, values) if latest else {}
        got.update(fixed)
        order = sorted(got, key=lambda d: -names[d[2:]])  # backward order: the sweep's
        atol = ATOL * max([float(np.max(np.abs(true[d[2:]]), initial=0.0)) for d in order] + [1e-300])
        wrong: set[str] = set()
        for d in order:
            if d in graded and not graded[d].ok:
                wrong.add(d)
                continue
            reads = _reads(statements, d)
            if reads & wrong:
                graded[d] = Graded(d, d[2:], False, "depends-on-wrong", None, None, point=point)
                wrong.add(d)
                continue
            g = _compare(d, true[d[2:]], got[d], problem, values, point, atol)
            if not g.ok:
                wrong.add(d)
            if d not in graded or not g.ok or (g.rel_error or 0.0) > (graded[d].rel_error or 0.0):
                graded[d] = g  # a good adjoint reports its worst point
        if wrong:
            break
    order = sorted(graded, key=lambda d: -names[d[2:]])
    result = GradeResult(problem, [graded[d] for d in order], point + 1)
    first = next((g for g in result.adjoints if not g.ok and g.verdict != "depends-on-wrong"), None)
    result.first_wrong = first.name if first else None
    return result


def _versioned(program: str, statements) -> tuple[str, dict[str, str]]:
    """The program with the backward statements after it; ``d_x += e`` as a new version of d_x."""
    version: dict[str, int] = {}
    lines = []
    for name, op, expr in statements:
        if expr.startswith("@"):  # the values themselves: bound below
            version.setdefault(name, 0)
            continue
        expr = _renamed(expr, version)
        if name in version and op == "+=":
            k = version[name] + 1
            lines.append(f"{_version(name, k)} = {_version(name, version[name])} + ({expr})")
        else:
            k = version.get(name, -1) + 1
            lines.append(f"{_version(name, k)} = {expr}")
        version[name] = k
    latest = {name: _version(name, k) for name, k in version.items()}
    return program + "\n" + "\n".join(lines), latest


def _version(name: str, k: int) -> str:
    return name if k == 0 else f"{name}__{k}"


def _renamed(expr: str, version: dict[str, int]) -> str:
    return re.sub(r"(?<![\w.])(d_[A-Za-z_]\w*)(?!\w)", lambda m: _version(m.group(1), version.get(m.group(1), 0)),
                  expr)


def _reads(statements, name: str) -> set[str]:
    found = set()
    for target, _, expr in statements:
        if target == name:
            found.update(re.findall(r"(?<![\w.])(d_[A-Za-z_]\w*)(?!\w)", expr))
    return found - {name}


def _sweep_at(problem: Problem, values: dict):
    """The reverse sweep with the inputs at ``values`` (every adjoint kept)."""
    return evaluate(problem.replace(values=values, intermediates=True))


def _true_adjoints(problem: Problem, values: dict) -> dict:
    from gradcli.core.values import dense

    sweep = _sweep_at(problem, values)
    return {name: dense(sweep.adjoints[i]) for name, i in problem.tape.names.items()}


def _user_values(program_text: str, latest: dict, values: dict) -> dict:
    """The user's statements evaluated after the program's own, the inputs at ``values``."""
    from gradcli.autodiff.sweeps import Plan

    user = load(program_text, [], of=list(latest.values()), several=True, keep=list(values), require_values=False)
    user.values.update({k: v for k, v in values.items() if k in user.tape.names})
    vals = Plan.of(user).values(user.input_values())
    return {name: vals[user.tape.names[target]] for name, target in latest.items()}


def _compare(d: str, expected, got, problem: Problem, values: dict, point: int, atol: float) -> Graded:
    e, g = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    if e.shape != g.shape:
        slip = _shape_slip(e, g)
        return Graded(d, d[2:], False, "wrong-shape", None, None, slip=slip, expected=e, got=g, point=point)
    diff = np.abs(e - g)
    scale = np.maximum(np.abs(e), np.abs(g))
    # Relative error means nothing between two numbers that are both rounding noise around 0 (a bias
    # gradient summed over balanced classes): a difference below atol counts as none.
    rel = np.where(diff > atol, diff / np.where(scale > 0, scale, 1), 0.0)
    worst = float(np.max(rel, initial=0.0))
    where = [int(k) for k in np.unravel_index(int(np.argmax(rel)), e.shape)] if e.ndim and worst > 0 else None
    verdict = "good" if worst < GOOD else "suspicious" if worst <= SUSPICIOUS else "wrong"
    ok = verdict == "good"
    slip = None if ok else _value_slip(e, g, d[2:], problem, values)
    return Graded(d, d[2:], ok, verdict, worst, float(np.max(diff, initial=0.0)), where, slip, e, g, point)


def _close(a, b) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def _shape_slip(e, g) -> str:
    if e.ndim == 2 and g.shape == e.shape[::-1] and _close(g.T, e):
        return "missing-transpose"
    if g.ndim > e.ndim and g.shape[g.ndim - e.ndim:] == e.shape and _close(g.sum(axis=tuple(range(g.ndim - e.ndim))), e):
        return "bias-not-summed"
    return "wrong-shape"


def _value_slip(e, g, name: str, problem: Problem, values: dict) -> str:
    if _close(g, -e):
        return "sign"
    if e.ndim == 2 and e.shape[0] == e.shape[1] and _close(g, e.T):
        return "missing-transpose"
    contributions, untransposed, wrong_locals = _contributions(problem, values, name)
    for contribution in contributions:
        if _close(g, np.broadcast_to(contribution, e.shape)):
            return "missing-fork-contribution"
    if any(alt.shape == g.shape and _close(g, alt) for alt in untransposed):
        return "missing-transpose"
    if any(_close(g, np.broadcast_to(alt, g.shape)) for alt in wrong_locals if np.shape(alt) == g.shape or
           np.ndim(alt) == 0):
        return "wrong-local-derivative"
    nonzero = np.abs(e) > 1e-12 * max(1.0, float(np.max(np.abs(e), initial=0.0)))
    if nonzero.any():
        ratio = g[nonzero] / e[nonzero]
        k = float(ratio.flat[0])
        # any two numbers have a ratio: one element is off by a constant factor only by a usual one
        usual = any(abs(k - f) <= 1e-9 * abs(f) for n in (2, 3, 4, *_sizes(problem))
                    for f in (n, 1 / n, -n, -1 / n))
        if _close(g, k * e) and k not in (0.0, 1.0) and (nonzero.sum() > 1 or usual):
            return "constant-factor"
    return "no-known-slip"


def _sizes(problem: Problem) -> set[int]:
    """The inputs' axis lengths: a forgotten 1/N is one of them."""
    return {n for v in problem.values.values() for n in shape(v) if n > 1}


def _contributions(problem: Problem, values: dict, name: str) -> tuple[list, list]:
    """What each consumer of ``name`` hands it in the sweep, at this point (its adjoint's terms, when
    there are several), and for a matrix product the same product with the other operand not
    transposed (``W @ d_q`` for ``transpose(W) @ d_q``)."""
    sweep = _sweep_at(problem, values)
    tape, vals, adj = problem.tape, sweep.values, sweep.adjoints
    target = tape.names[name]
    found, untransposed, wrong_locals = [], [], []
    consumers = [node for node in tape.nodes if node.kind == OPERATION and target in node.args]
    for node in tape.nodes:
        if node.kind == OPERATION and adj[node.index] is not None and target in node.args:
            g = np.asarray(adj[node.index], dtype=float)
            if len(consumers) == 1 and node.op.scalar and len(node.args) == 1:
                z, o = np.asarray(vals[target], dtype=float), np.asarray(vals[node.index], dtype=float)
                with np.errstate(all="ignore"):  # the usual wrong slopes of a gate, times what arrives
                    wrong_locals += [g * w for w in (o, z, 1 - z * z, 1 - o, o * (1 - o), 1 - o * o, np.cos(z),
                                                     -np.cos(z), np.sin(z), -np.sin(z), np.exp(z), 1 / z)]
            for j, a in enumerate(node.args):
                if a != target:
                    continue
                try:
                    found.append(np.asarray(edge_vjp(node, j, adj[node.index], vals), dtype=float))
                except Exception:  # noqa: BLE001 - a rule that fails here names no slip
                    pass
                if node.op.name in ("matmul", "dot"):
                    other = np.asarray(vals[node.args[1 - j]], dtype=float)
                    if other.ndim == 2:
                        try:
                            untransposed.append(other @ g if j == 1 else g @ other)
                        except ValueError:
                            pass
    return (found if len(found) > 1 else []), untransposed, wrong_locals


def _random_point(problem: Problem, rng) -> dict:
    """Every float input redrawn around its own size, no zeros and no ties; integers (indices) kept."""
    point = dict(problem.values)
    for name, v in problem.values.items():
        if name in problem.integers:
            continue
        s = shape(v)
        size = float(np.max(np.abs(v), initial=0.0)) if s else abs(float(v))
        scale = size if size > 0 else 1.0
        draw = rng.uniform(0.3, 1.0, s) * rng.choice([-1.0, 1.0], s) * scale
        point[name] = draw if s else float(draw)
    return point


__all__ = ["grade", "GradeResult", "Graded", "SLIPS", "parse_backward"]
