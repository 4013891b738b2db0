"""Checking the reverse-sweep gradient against central finite differences, input by input.

For each input x the numeric slope is ``(f(x+h) - f(x-h)) / ((x+h) - (x-h))``:
the denominator is the step the doubles really took, not ``2h``.  The default
step is ``h = cbrt(machine epsilon) * max(1, |x|)`` (about ``6.06e-6`` for
|x| <= 1): the cube root balances the truncation error of the central
difference (of order h^2) against rounding (of order epsilon/h), and scaling
by |x| keeps ``x + h`` distinct from x for large inputs.  ``--eps`` replaces it by
a fixed step.

An input passes when ``|analytic - numeric| <= atol + rtol * max(|analytic|,
|numeric|) + floor``, where ``floor = 16 * epsilon * max(|f(x+h)|, |f(x-h)|) /
(2h)`` is the rounding noise of the difference quotient itself (so a large
output with a small slope does not fail for nothing).  When that floor is
what lets an input pass (its error is above ``atol + rtol * ...`` alone), the
input is reported as "noisy", not as a pass: the finite difference cannot
resolve the slope that finely.

At a kink (``op.kinks`` in the operator table: abs at 0, relu at 0, a max or min
tie) the finite difference is not a derivative: an input that reaches such a
node, on the way to the output, is flagged "kink" and does not fail.  The same
holds when a piecewise operation switches piece between x - h and x + h (its
local partials differ there): the step straddles a kink.

Separately from the check, the "nudge" repeats the course's lesson with a
visible forward step: 0.001 for |x| < 10, and 0.001 times the power of ten of x
beyond (0.01 for x = 50, 1 for x = 1234), so the printed numbers stay readable:
a goes from 5 to 5.001 and J from 33 to 33.003, slope 3.

With arrays, each element is an input of its own (labelled ``W[1,0]``, C
order): every element is checked up to ``sample`` (``--sample``, default
``MAX_ELEMENTS``) in all, beyond that a fixed random sample of that many (seeded:
the same sample every run), and the result says so.  Each element costs two
evaluations of the program; when the first pair says the whole check will take
more than ``ANNOUNCE_SECONDS``, ``announce`` is told the count and the estimate
before the rest is run.  Kinks are looked for element by element: an element whose
step moves an element of a node that sits at a kink (relu(x) where that x is 0, a
max tied with another), or that makes a node switch piece (``ArrayRule.kinks`` and
``pieces`` for a reduction, the scalar op's ``kinks`` and partials elementwise),
is flagged "kink".  Array programs get no nudges (one line per element would bury
the table).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from gradcli.analyses import passes
from gradcli.autodiff.sweeps import Plan
from gradcli.support.errors import EvaluationError, ExitCode, GradError, UsageError
from gradcli.core.tape import OPERATION, Tape
from gradcli.core.values import element, element_label, flat_index, shape, size, with_element
from gradcli.support.numbers import short
from gradcli.autodiff.gradient import Gradient, evaluate
from gradcli.autodiff.problem import Problem

MACHINE_EPS = sys.float_info.epsilon
STEP = MACHINE_EPS ** (1.0 / 3.0)  # about 6.06e-6
NUDGE = 1e-3
RTOL = 1e-5
ATOL = 1e-8
ROUNDING = 16.0
MAX_ELEMENTS = 1000  # array elements checked; beyond, a fixed random sample of this many (--sample)
SAMPLE_SEED = 0
ANNOUNCE_SECONDS = 5.0  # a check projected to take longer says so before it runs on

PASS, FAIL, KINK, NOISY = "pass", "fail", "kink", "noisy"


class CheckFailed(GradError):
    """Some input's analytic gradient disagrees with its finite difference: exit 1."""

    kind = "check-failed"
    exit_code = ExitCode.FAILED


@dataclass
class Nudge:
    """x moves from ``before`` to ``after`` and the output from ``out_before`` to ``out_after``."""

    before: float
    after: float
    out_before: float
    out_after: float | None  # None when the nudged point is outside the domain
    problem: str = ""  # why out_after is missing

    @property
    def slope(self) -> float | None:
        if self.out_after is None:
            return None
        return (self.out_after - self.out_before) / (self.after - self.before)


@dataclass
class InputCheck:
    name: str
    value: float
    analytic: float
    numeric: float
    step: float  # the h actually used: ((x+h) - (x-h)) / 2
    tolerance: float
    floor: float  # the rounding noise of the difference quotient, included in tolerance
    status: str  # PASS, FAIL, KINK or NOISY
    kink: str | None  # why the finite difference is not a derivative
    nudge: Nudge | None  # None in a program with arrays

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric))
        return self.abs_error / scale if scale > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.status != FAIL


@dataclass
class CheckResult:
    gradient: Gradient
    rtol: float
    atol: float
    eps: float | None  # the fixed step asked for, or None for the scaled default
    inputs: list[InputCheck] = field(default_factory=list)  # an array program: one per element checked
    elements: int | None = None  # an array program: how many input elements there are in all
    sample: int | None = None  # an array program: the most elements checked (beyond, a seeded sample)
    shapes: dict[str, tuple] | None = None  # an array program: each input's shape

    @property
    def sampled(self) -> bool:
        """True when only a sample of the elements was checked."""
        return self.elements is not None and self.elements > len(self.inputs)

    @property
    def output(self) -> str:
        return self.gradient.output

    @property
    def value(self) -> float:
        return self.gradient.value

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.inputs)

    @property
    def failures(self) -> list[InputCheck]:
        return [c for c in self.inputs if not c.ok]

    @property
    def worst(self) -> InputCheck | None:
        """The failing input furthest outside its tolerance."""
        failures = self.failures
        if not failures:
            return None
        return max(failures, key=_badness)

    @property
    def closest_to_failing(self) -> InputCheck | None:
        """The input (element) with the largest error for its tolerance, failing or not."""
        if not self.inputs:
            return None
        return max(self.inputs, key=_badness)

    @property
    def noun(self) -> str:
        """What each check is of: an input, or with arrays an input element."""
        return "input" if self.elements is None else "element"

    def failure(self) -> CheckFailed:
        worst = self.worst
        n = len(self.failures)
        return CheckFailed(
            f"gradient check failed for {n} of {len(self.inputs)} {self.noun}{'s' if len(self.inputs) != 1 else ''}; "
            f"worst: {worst.name}: analytic {short(worst.analytic)}, numeric {short(worst.numeric)} "
            f"(abs error {worst.abs_error:.3g}, rel error {worst.rel_error:.3g})")


def _badness(c: InputCheck) -> float:
    """The error over its tolerance; infinite when either is not a finite number (nan would not order)."""
    ratio = c.abs_error / c.tolerance if c.tolerance > 0 else math.inf
    return ratio if ratio == ratio else math.inf


def check(problem: Problem, eps: float | None = None, rtol: float = RTOL, atol: float = ATOL,
          sample: int | None = None, announce=None) -> CheckResult:
    """Compare d(output)/d(input) from the reverse sweep with a central difference, per input.

    ``sample``: with arrays, the most elements checked (None: ``MAX_ELEMENTS``); ``announce(text)``
    hears, before the rest runs, how many evaluations a long check takes.
    """
    if eps is not None and not (eps > 0 and math.isfinite(eps)):
        raise UsageError(f"--eps {eps}: the step must be a positive number")
    if sample is not None and sample < 1:
        raise UsageError(f"--sample {sample}: check at least one element")
    shapes = passes.shapes(problem, {name: problem.values[name] for name in problem.wrt})
    if sample is not None and shapes is None:
        raise UsageError("--sample applies to programs with arrays (it samples their elements); "
                         "a program of numbers checks every input")
    return _check(problem, evaluate(problem), eps, rtol, atol, shapes, sample or MAX_ELEMENTS, announce)


def _check(problem: Problem, grad: Gradient, eps: float | None, rtol: float, atol: float,
           shapes: dict | None, sample: int, announce=None) -> CheckResult:
    """One central difference per input element (a number is one element, and every input is checked).

    Only the kink test differs: a program of numbers looks for kinks on the paths from the input
    (and nudges each input to show the output move); with arrays, on the elements the step reaches.
    """
    import time

    tape = problem.tape
    out = problem.output_index
    names = problem.wrt
    sizes = [(name, size(problem.values[name])) for name in names]
    if shapes is None:
        chosen = [(name, 0) for name in names]
        result = CheckResult(grad, rtol, atol, eps)
        kinked = [_at_kink(tape, node.index, grad.values) for node in tape.nodes]
    else:
        chosen = sampled_elements(sizes, sample)
        result = CheckResult(grad, rtol, atol, eps, elements=sum(n for _, n in sizes), shapes=shapes,
                             sample=sample)
    sweep = Plan.of(problem)
    started = time.perf_counter()
    gradient = grad.gradient
    feeds = tape.cone([out])
    for name, k in chosen:
        value = problem.values[name]
        index = flat_index(shape(value), k)
        label = element_label(name, index)
        x = element(value, index)
        h = eps if eps is not None else STEP * max(1.0, abs(x))
        up, down = _step(label, x, h)

        def run(v):
            return sweep.values(problem.input_values({name: with_element(value, index, v)}))

        vals_up, vals_down = _nudged(problem, label, up, h, run), _nudged(problem, label, down, h, run)
        f_up, f_down = vals_up[out], vals_down[out]
        numeric = (f_up - f_down) / (up - down)
        analytic = element(gradient[name], index)
        floor = ROUNDING * MACHINE_EPS * max(abs(f_up), abs(f_down)) / (up - down)
        asked = atol + rtol * max(abs(analytic), abs(numeric))
        tolerance = asked + floor
        if shapes is None:
            cone = [f and d for f, d in zip(feeds, tape.depends_on([tape.names[name]]))]
            kink = _kink_reason(tape, cone, kinked, vals_up, vals_down, grad.values)
            nudge = _nudge(problem, name, x, grad.value)
        else:
            kink, nudge = _element_kink_reason(tape, feeds, grad.values, vals_up, vals_down), None
        status = KINK if kink else _verdict(analytic, numeric, asked, tolerance)
        if status == FAIL:
            cut = _cut_reason(tape, feeds, tape.depends_on([tape.names[name]]), label)
            if cut:
                status, kink = KINK, cut
        result.inputs.append(InputCheck(label, x, analytic, numeric, (up - down) / 2, tolerance, floor,
                                        status, kink, nudge))
        if len(result.inputs) == 1 and announce is not None and shapes is not None:
            _announce_if_long(announce, time.perf_counter() - started, len(chosen), result.elements)
    return result


def sampled_elements(sizes: list[tuple[str, int]], sample: int) -> list[tuple[str, int]]:
    """(input, flat index) of every element, or of a seeded random sample of ``sample`` of them, in order.

    The elements are numbered across the inputs without listing them all (a 3000 x 3000 input
    has 9 million): the sample is drawn from the numbers, then each is placed in its input.
    """
    import bisect
    import random

    total = sum(n for _, n in sizes)
    picked = range(total) if total <= sample else sorted(random.Random(SAMPLE_SEED).sample(range(total), sample))
    starts, start = [], 0
    for _, n in sizes:
        starts.append(start)
        start += n
    chosen = []
    for k in picked:
        which = bisect.bisect_right(starts, k) - 1
        while sizes[which][1] == 0:  # an empty input owns no number: the next one does
            which += 1
        chosen.append((sizes[which][0], k - starts[which]))
    return chosen


def _announce_if_long(announce, first_pair: float, pairs: int, elements: int) -> None:
    """Say how many evaluations the check takes, and about how long, when that is over ANNOUNCE_SECONDS."""
    projected = first_pair * pairs
    if projected <= ANNOUNCE_SECONDS:
        return
    what = f"{pairs:,} of {elements:,} input elements" if pairs < elements else f"all {elements:,} input elements"
    announce(f"checking {what} takes {2 * pairs:,} evaluations of the program, about {projected:,.0f} s "
             f"({first_pair:.2g} s per element); --sample N checks fewer")


def _step(label: str, x: float, h: float) -> tuple[float, float]:
    """x + h and x - h, or a usage error when the doubles cannot take that step: it vanishes in
    rounding (x ± h == x: the difference quotient would divide by zero) or its span overflows."""
    up, down = x + h, x - h
    span = up - down
    if span == 0.0:
        raise UsageError(f"--eps {h!r}: the step vanishes at {label} = {short(x)} ({label} ± h rounds to "
                         f"{label}): give a larger --eps")
    if not math.isfinite(span):
        raise UsageError(f"--eps {h!r}: the step overflows at {label} = {short(x)} ((x + h) - (x - h) is "
                         f"{short(span)}): give a smaller --eps")
    return up, down


def _verdict(analytic: float, numeric: float, asked: float, tolerance: float) -> str:
    """PASS, NOISY or FAIL; a comparison that could not be made (a difference quotient, error or
    tolerance that is not finite: nan compares false with everything) fails, never passes."""
    error = abs(analytic - numeric)
    if not (math.isfinite(error) and math.isfinite(tolerance)) or error > tolerance:
        return FAIL
    return NOISY if error > asked else PASS


def _element_kink_reason(tape: Tape, feeds: list[bool], vals, vals_up, vals_down) -> str | None:
    """The scalar check's kink test on an array program, for the step of one input element.

    Which elements the step reaches is read from the two runs themselves: an operand element
    whose value differs between x - h and x + h.  A node is at a kink when such an element
    meets one of the op's kinks at the checked point, and within the step when its piece
    (or, elementwise, a local partial) differs between the two runs.
    """
    from gradcli.core.values import np

    for node in tape.nodes:
        i = node.index
        if not feeds[i] or node.kind != OPERATION:
            continue
        op = node.op
        if op.kinks is None and op.array.kinks is None:
            continue
        with np.errstate(all="ignore"):
            moved = [np.asarray(vals_up[a]) != np.asarray(vals_down[a]) for a in node.args]
            if not any(m.any() for m in moved):
                continue
            if op.scalar:
                at, jumps = _elementwise_at_kink(node, vals, moved), _elementwise_jumps(node, vals_up, vals_down)
            else:
                args = [vals[a] for a in node.args]
                at = op.array.kinks(node.params, vals[i], args, moved)
                jumps = bool(np.any(op.array.pieces(node.params, vals_up[i], [vals_up[a] for a in node.args])
                                    != op.array.pieces(node.params, vals_down[i],
                                                       [vals_down[a] for a in node.args])))
        if at:
            return _kink_text(tape, i, "sits at a kink", vals)
        if jumps:
            return _kink_text(tape, i, "has a kink within the step")
    return None


def _kink_text(tape: Tape, i: int, what: str, vals=None) -> str:
    """Why the finite difference is not a derivative at node i: a kink, or the jump of a step.

    A step (floor, ceil, round, sign, a comparison: every partial 0) is piecewise constant, so its
    gradient is 0 wherever it is defined; the check says so, and where it jumps, instead of failing.
    """
    node = tape.nodes[i]
    op = node.op
    if not (op.scalar and not op.cuts and all(f == "0" for f in op.formulas)):
        return f"{tape.definition(i)} {what}"
    if vals is None:
        at = "within the step"
    elif any(shape(vals[a]) for a in node.args):
        at = "at this element"
    else:
        at = "at " + op.render([short(vals[a]) for a in node.args], node.params)
    return f"{tape.definition(i)} is piecewise constant, so its gradient is 0; it jumps {at}"


def _cut_reason(tape: Tape, feeds: list[bool], depends: list[bool], label: str) -> str | None:
    """A stop_gradient between the input and the output: the step moves the value through it, and the
    gradient, by definition, does not follow."""
    for node in tape.nodes:
        if feeds[node.index] and depends[node.index] and node.kind == OPERATION and node.op.cuts:
            return (f"{tape.definition(node.index)} cuts the gradient: the finite difference sees {label} "
                    "move through it, the gradient by definition does not")
    return None


def _elementwise_at_kink(node, vals, moved) -> bool:
    """An element of an elementwise op that the step reaches, at one of the op's scalar kinks."""
    from gradcli.core.values import np

    out_shape = np.shape(vals[node.index])
    reached = np.zeros(out_shape, dtype=bool)
    for m in moved:
        reached = reached | np.broadcast_to(m, out_shape)
    operands = [np.broadcast_to(np.asarray(vals[a], dtype=float), out_shape)[reached] for a in node.args]
    return any(node.op.kinks(*(float(v) for v in point)) for point in zip(*operands))


def _elementwise_jumps(node, up, down) -> bool:
    """``_jumps`` element by element, with the op's numpy partials (its VJP of a gradient of ones)."""
    from gradcli.core.values import np

    pu, pd = _array_partials(node, up), _array_partials(node, down)
    if any(np.any(np.abs(u - d) > 0.25 * np.maximum(1.0, np.maximum(np.abs(u), np.abs(d))))
           for u, d in zip(pu, pd)):
        return True
    change = np.asarray(up[node.index]) - np.asarray(down[node.index])
    explained = sum((u + d) / 2 * (np.asarray(up[a]) - np.asarray(down[a])) for u, d, a in zip(pu, pd, node.args))
    return bool(np.any(np.abs(change - explained) > 0.25 * np.maximum(1.0, np.abs(change))))


def _array_partials(node, vals) -> list:
    from gradcli.core.values import np

    ones = np.ones(np.shape(vals[node.index]))
    args = [vals[a] for a in node.args]
    return [np.asarray(node.op.array.vjp(j, node.params, ones, vals[node.index], args), dtype=float)
            for j in range(len(args))]


def _at_kink(tape: Tape, index: int, vals: list[float]) -> bool:
    node = tape.nodes[index]
    if node.kind != OPERATION or node.op.kinks is None:
        return False
    return bool(node.op.kinks(*[vals[a] for a in node.args]))


def _kink_reason(tape: Tape, cone: list[bool], kinked: list[bool], vals_up, vals_down, vals) -> str | None:
    for node in tape.nodes:
        i = node.index
        if not cone[i] or node.kind != OPERATION or node.op.kinks is None:
            continue
        if kinked[i]:
            return _kink_text(tape, i, "sits at a kink", vals)
        if _jumps(node, vals_up, vals_down):
            return _kink_text(tape, i, "has a kink within the step")
    return None


def _jumps(node, up, down) -> bool:
    """A piecewise op switches piece between the two steps: a local partial jumps (relu, abs,
    max), or the value changes by more than the partials explain (sign, atan2 across its cut).
    Smooth pieces (hypot, atan2 elsewhere) move their partials and value only slightly."""
    try:
        pu, pd = _partials(node, up), _partials(node, down)
    except (ArithmeticError, ValueError):  # a partial undefined at one end (atan2 at (0, 0)): a kink there
        return True
    if any(abs(u - d) > 0.25 * max(1.0, abs(u), abs(d)) for u, d in zip(pu, pd)):
        return True
    change = up[node.index] - down[node.index]
    explained = sum((u + d) / 2 * (up[a] - down[a]) for u, d, a in zip(pu, pd, node.args))
    return abs(change - explained) > 0.25 * max(1.0, abs(change))


def _partials(node, vals) -> list[float]:
    operands = [vals[a] for a in node.args]
    return [node.op.partial(j, operands, vals[node.index]) for j in range(len(operands))]


def _nudged(problem: Problem, label: str, x: float, h: float, run) -> list[float]:
    """Every node's value with the input element ``label`` moved to x (``run(x)``)."""
    try:
        return run(x)
    except EvaluationError as exc:
        raise EvaluationError(
            f"checking {label}: at {label} = {short(x)} (a step of {h:.3g}) {exc.message}; "
            "the step leaves the domain: try a smaller --eps",
            exc.line, exc.column, exc.source, kind="domain") from None


def nudge_step(x: float) -> float:
    """0.001, times the power of ten of |x| when |x| >= 10."""
    if not abs(x) >= 10 or not math.isfinite(x):
        return NUDGE
    return NUDGE * 10.0 ** math.floor(math.log10(abs(x)))


def _nudge(problem: Problem, name: str, x: float, value: float) -> Nudge:
    after = x + nudge_step(x)
    try:
        moved = Plan.of(problem).values(problem.input_values({name: after}))[problem.output_index]
    except EvaluationError as exc:
        return Nudge(x, after, value, None, exc.message)
    return Nudge(x, after, value, moved)


__all__ = ["check", "CheckResult", "InputCheck", "Nudge", "CheckFailed", "nudge_step",
           "PASS", "FAIL", "KINK", "NOISY", "STEP", "NUDGE", "RTOL", "ATOL", "MAX_ELEMENTS"]
