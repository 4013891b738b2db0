"""``gradcli plot``: f and its derivative f' sampled over a range of one input, and a tangent line.

f' is computed, never taken from a formula: every sample point is a data row, and one
forward pass and one reverse sweep over all of them (``sweeps.Plan.row_values`` and
``reverse(..., bad=)``, the batch axis of ``--data``) give f and f' at each; a program
with array ops (its output one number) is swept point by point.  A point where f or f'
is not defined (log(x) at x <= 0) is a gap in both curves, not an error.  The tangent at
``at`` is f(at) + f'(at) (x - at), from one more sweep at that point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradcli.analyses.passes import has_arrays
from gradcli.autodiff.array_sweeps import batchable
from gradcli.autodiff.loading import check_shapes
from gradcli.autodiff.problem import Problem, require_scalar_output
from gradcli.autodiff.sweeps import Plan
from gradcli.core.values import is_zero, np, shape, shape_text
from gradcli.support.errors import EvaluationError, GradError, UsageError

DEFAULT_SAMPLES = 201


@dataclass
class Tangent:
    at: float
    value: float  # f(at)
    slope: float  # f'(at)
    xs: list[float]  # where the tangent is drawn: a quarter of the range either side of ``at``

    def line(self) -> list[tuple[float, float]]:
        return [(x, self.value + self.slope * (x - self.at)) for x in self.xs]


@dataclass
class FunctionPlot:
    output: str
    input: str
    xs: list[float]
    values: list[float]  # f at each x (nan where undefined)
    slopes: list[float]  # f' at each x (nan where undefined)
    tangent: Tangent | None
    method: str  # how f' was computed

    def series(self) -> dict:
        """The chart's series: f, f' and the tangent line."""
        f, x = self.output, self.input
        found = {f: list(zip(self.xs, self.values)), f"d{f}/d{x}": list(zip(self.xs, self.slopes))}
        if self.tangent is not None:
            found[f"tangent at {x} = {self.tangent.at:g}"] = self.tangent.line()
        return found

    @property
    def gaps(self) -> int:
        return sum(1 for v, s in zip(self.values, self.slopes) if not (math.isfinite(v) and math.isfinite(s)))


def free_input(problem: Problem) -> str:
    """The one input without a value: the x axis (the only input, when every input has one)."""
    inputs = problem.tape.input_names()
    free = [name for name in inputs if name not in problem.values]
    if len(free) > 1:
        bound = " ".join(f"{name}=1" for name in free[1:])
        raise UsageError(f"more than one free input ({', '.join(free)}): plot draws f over one; bind the others, "
                         f"like {bound}")
    if free:
        return free[0]
    if len(inputs) == 1:
        return inputs[0]
    if not inputs:
        raise UsageError("the program has no input to plot against")
    raise UsageError(f"every input is bound ({', '.join(inputs)}): leave the x axis's input without a value")


def function_plot(problem: Problem, x: str, low: float, high: float, samples: int = DEFAULT_SAMPLES,
                  at: float | None = None) -> FunctionPlot:
    """f and f' at ``samples`` evenly spaced points of [low, high], and the tangent at ``at``."""
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise UsageError(f"--x {low:g}:{high:g}: the range must go from a lower to a higher number")
    tape = problem.tape
    fixed = {name: v for name, v in problem.values.items() if name != x}
    if shape(problem.values.get(x, 0.0)):
        raise UsageError(f"{x} is bound to an array of shape {shape_text(shape(problem.values[x]))}: plot draws f "
                         f"against one number (the x axis): plot a program whose free input is a number")
    if has_arrays(problem):  # the x axis is a number: the shapes must fit it, before any sweep
        check_shapes(tape, tape, {**fixed, x: float(low)}, {})
    xs = np.linspace(low, high, samples)
    index, out = tape.names[x], problem.output_index
    inputs = {tape.names[name]: v for name, v in fixed.items()}
    if batchable(tape, [index]) and not has_arrays(problem):
        values, slopes = _rows(tape, inputs, index, out, xs)
        method = f"one reverse sweep over the {samples} points, as data rows"
    else:
        values, slopes = _point_by_point(problem, inputs, index, out, xs)
        method = f"a reverse sweep at each of the {samples} points"
    tangent = None
    if at is not None:
        value, slope = _at(problem, inputs, index, out, at)
        half = (high - low) / 4
        tangent = Tangent(at, value, slope, np.linspace(max(low, at - half), min(high, at + half), 41).tolist())
    return FunctionPlot(problem.output, x, xs.tolist(), values, slopes, tangent, method)


def _rows(tape, inputs: dict, index: int, out: int, xs) -> tuple[list[float], list[float]]:
    plan = Plan(tape)
    n = len(xs)
    vals, bad = plan.row_values({**inputs, index: xs}, n, batched=[index])
    adj = plan.reverse(vals, out, bad=bad)
    f = np.broadcast_to(np.asarray(vals[out], dtype=float), (n,)).copy()
    g = adj[index]
    d = np.zeros(n) if g is None or is_zero(g) else np.broadcast_to(np.asarray(g, float), (n,)).copy()
    f[bad] = np.nan
    d[bad] = np.nan
    return f.tolist(), d.tolist()


def _point_by_point(problem: Problem, inputs: dict, index: int, out: int, xs) -> tuple[list[float], list[float]]:
    plan = Plan(problem.tape, True)
    values, slopes = [], []
    checked = False
    for x in xs.tolist():
        try:
            vals = plan.values({**inputs, index: x})
            if not checked:
                require_scalar_output(problem, vals)
                checked = True
            adj = plan.reverse(vals, out)
            g = adj[index]
            values.append(float(vals[out]))
            slopes.append(0.0 if is_zero(g) else float(g))
        except UsageError:
            raise
        except GradError:
            values.append(math.nan)
            slopes.append(math.nan)
    return values, slopes


def _at(problem: Problem, inputs: dict, index: int, out: int, at: float) -> tuple[float, float]:
    plan = Plan.of(problem)
    try:
        vals = plan.values({**inputs, index: at})
        require_scalar_output(problem, vals)
        adj = plan.reverse(vals, out)
    except EvaluationError as exc:
        exc.message = f"--at {at:g}: {exc.message}"
        exc.args = (exc.message,)
        raise
    g = adj[index]
    value, slope = float(vals[out]), 0.0 if is_zero(g) else float(g)
    if not (math.isfinite(value) and math.isfinite(slope)):
        raise EvaluationError(f"--at {at:g}: f or its derivative is not finite there ({value:g}, {slope:g})")
    return value, slope
