"""Every op of the table on arrays: VJPs against central differences, JVPs against VJPs, shapes;
each array op's element rule against its VJP and central differences; each elementwise op's
numpy partials against its scalar ones, element by element.

Each case builds a tiny tape by hand: the op applied to inputs of given shapes,
then ``loss = sum(op(...) * R)`` with a fixed random R, so that the VJP is
tested against every direction at once.  The op table is iterated: an op with no
case here fails ``test_every_op_has_array_cases``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import cases_elementwise
import cases_indexing
import cases_layers
import cases_linalg
import cases_reductions
import cases_shapes

from gradcli.autodiff import array_sweeps
from gradcli.core.array_rules import ShapeError
from gradcli.core.indexing_rules import checked_shape, integer_operands
from gradcli.core.ops import OPS
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape

RNG = np.random.default_rng(7)

# op name -> list of (operand shapes, params); scalar ops get elementwise cases below.
ARRAY_CASES = {
    "transpose": [([(2, 3)], ()), ([(3,)], ())],
    "stack": [([(3,), (3,), (3,)], ()), ([(), ()], ())],
    "expand_dims": [([(3,)], (0,)), ([(3,)], (1,)), ([(2, 3)], (-1,)), ([()], (0,))],
}
FAMILIES = [cases_indexing, cases_shapes, cases_reductions, cases_elementwise, cases_linalg, cases_layers]
for family in FAMILIES:  # each family of ops keeps its cases in its own module
    assert not set(family.CASES) & set(ARRAY_CASES), family.__name__
    ARRAY_CASES.update(family.CASES)
CUSTOM_VALUES = {name: make for family in FAMILIES for name, make in family.VALUES.items()}
ELEMENTWISE_SHAPES = [[(2, 3)], [(2, 3), (3,)], [(3, 1), (1, 2)], [(), (2,)], [(2, 2), ()]]


def operand_values(op, shapes):
    """Random operands inside the op's scalar domain (for elementwise ops), away from kinks."""
    if op.name in CUSTOM_VALUES:
        return CUSTOM_VALUES[op.name](shapes, RNG)
    if op.scalar and op.arity == 1:  # one element at a time: acosh's domain (x > 1) is a quarter of [-2, 2]
        flat = [_one_element(op) for _ in range(int(np.prod(shapes[0])))]
        return [np.reshape(flat, shapes[0]) if shapes[0] else flat[0]]
    for _ in range(1000):
        vals = [RNG.uniform(-2, 2, s) if s else float(RNG.uniform(-2, 2)) for s in shapes]
        if not op.scalar:
            return vals
        flat = np.broadcast_arrays(*[np.asarray(v) for v in vals])
        points = zip(*[f.ravel() for f in flat])
        ok = True
        for p in points:
            if any(abs(x) < 0.05 for x in p):
                ok = False
                break
            if op.domain is not None and not op.domain(*p):
                ok = False
                break
            if op.kinks is not None and op.kinks(*p):
                ok = False
                break
            if op.arity is None and len(set(p)) < len(p):
                ok = False
                break
        if ok:
            return vals
    pytest.skip(f"no operands found in {op.name}'s domain")


def _one_element(op) -> float:
    while True:
        x = float(RNG.uniform(-2, 2))
        if abs(x) >= 0.05 and (op.domain is None or op.domain(x)) and (op.kinks is None or not op.kinks(x)):
            return x


def cases():
    for op in OPS.values():
        if op.scalar:
            arity = op.arity or 3
            for shapes in ELEMENTWISE_SHAPES:
                if len(shapes) == 1:
                    shapes = shapes * arity
                if len(shapes) != arity:
                    continue
                yield pytest.param(op, shapes, (), id=f"{op.name}-{'-'.join(map(str, shapes))}")
        for shapes, params in ARRAY_CASES.get(op.name, []):
            yield pytest.param(op, shapes, params, id=f"{op.name}-{'-'.join(map(str, shapes))}-{params}")


def build(op, shapes, params, r_shape):
    """inputs x0.., y = op(x0, ..), loss = sum(y * R): the tape, the loss node, R's node."""
    tape = Tape()
    inputs = [tape.add(INPUT, name=f"x{k}") for k in range(len(shapes))]
    tape.inputs = inputs
    for k, i in enumerate(inputs):
        tape.names[f"x{k}"] = i
    y = tape.add(OPERATION, op=op, args=tuple(inputs), name="y", number=1, params=params)
    r = tape.add(CONST, text="R", value=RNG.uniform(-1, 1, r_shape) if r_shape else 0.7)
    product = tape.add(OPERATION, op=OPS["mul"], args=(y, r), number=2)
    loss = tape.add(OPERATION, op=OPS["sum"], args=(product,), name="loss", number=3)
    return tape, loss


def loss_at(tape, loss, vals_in):
    return array_sweeps.array_values(tape, dict(enumerate(vals_in)))[loss]


@pytest.mark.parametrize("op, shapes, params", list(cases()))
def test_vjp_matches_central_differences_and_jvp(op, shapes, params):
    vals_in = operand_values(op, shapes)
    out_shape = checked_shape(op, params, shapes, vals_in)  # arange's length is read from its operands' values
    tape, loss = build(op, shapes, params, out_shape)
    vals = array_sweeps.array_values(tape, dict(enumerate(vals_in)))
    expected = np.asarray(op.array.forward(params, *vals_in))
    assert expected.shape == out_shape  # the shape rule agrees with the value
    adj = array_sweeps.array_adjoints(tape, vals, loss)
    integers = integer_operands(op, params, len(shapes))
    for k, v in enumerate(vals_in):
        grad = np.asarray(adj[k])
        assert grad.shape == np.shape(v)  # a gradient has the shape of its variable
        if k in integers:  # indices: no gradient, and no differences (a step would leave the integers)
            assert not grad.any()
            continue
        for index in itertools.product(*[range(n) for n in np.shape(v)]):
            h = 1e-6 * max(1.0, abs(float(np.asarray(v)[index])))
            up, down = [np.array(x, dtype=float) for x in vals_in], [np.array(x, dtype=float) for x in vals_in]
            up[k][index] += h
            down[k][index] -= h
            numeric = 0.0 if op.cuts else (  # stop_gradient: the value passes, no gradient does
                (loss_at(tape, loss, [u if np.ndim(u) else float(u) for u in up])
                 - loss_at(tape, loss, [d if np.ndim(d) else float(d) for d in down])) / (2 * h))
            assert grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (k, index)
            # forward mode: the tangent of the loss for a one-hot seed is the same element
            seed = np.zeros(np.shape(v))
            seed[index] = 1.0
            tan = array_sweeps.array_tangents(tape, vals, {k: seed if np.ndim(v) else 1.0})
            assert float(tan[loss]) == pytest.approx(float(grad[index]), rel=1e-12, abs=1e-12)


def test_every_op_has_array_cases():
    covered = {p.values[0].name for p in cases()}
    assert covered == set(OPS)


@pytest.mark.parametrize("name, shapes, params, words", [
    ("matmul", [(2, 3), (2,)], (), "(2, 3) @ (2,): the inner sizes differ (3 and 2)"),
    ("matmul", [(), (2,)], (), "not a scalar"),
    ("add", [(2, 3), (2,)], (), "(2, 3) and (2,) do not broadcast"),
    ("sum", [(2, 3)], (2, False), "axis 2 does not exist for shape (2, 3)"),
    ("index", [(2, 3)], (2, 0), "index 2 is out of range for axis 0"),
    ("dot", [(2,), (3,)], (), "different lengths"),
    ("stack", [(2,), (3,)], (), "element 0 is (2,), element 1 is (3,)"),
])
def test_shape_rules_say_what_does_not_fit(name, shapes, params, words):
    with pytest.raises(ShapeError, match=words.replace("(", r"\(").replace(")", r"\)")):
        OPS[name].array.shape(params, *shapes)


def test_an_elementwise_chain_builds_no_jacobian():
    """10^5 elements through sin and * : the adjoint of each node is one vector, never n x n."""
    n = 100_000
    tape = Tape()
    x = tape.add(INPUT, name="x")
    tape.inputs, tape.names = [x], {"x": x}
    s = tape.add(OPERATION, op=OPS["sin"], args=(x,), number=1)
    p = tape.add(OPERATION, op=OPS["mul"], args=(s, x), number=2)
    loss = tape.add(OPERATION, op=OPS["sum"], args=(p,), number=3)
    xs = np.linspace(-1, 1, n)
    vals = array_sweeps.array_values(tape, {x: xs})
    adj = array_sweeps.array_adjoints(tape, vals, loss)
    assert all(a is None or np.shape(a) in ((), (n,)) for a in adj)
    np.testing.assert_allclose(adj[x], np.cos(xs) * xs + np.sin(xs), rtol=1e-14)


# ---------------------------------------------------------------- element rules and numpy twins


def element_jacobian(op, params, args, ans, k) -> list:
    """Row ``k`` of the Jacobian, one array per operand, from the op's element rule."""
    rows = [np.zeros(np.shape(a)) for a in args]
    labels = []
    for j, index, partial, formula in op.array.elements(params, k, ans, args, lambda j, i: f"x{j}{list(i)}"):
        rows[j][tuple(index)] += partial
        labels.append(formula)
    assert all(isinstance(text, str) and text for text in labels)  # a label asked for gives every formula
    return rows


@pytest.mark.parametrize("op, shapes, params", [c for c in cases() if c.values[0].array.elements is not None
                                                and not c.values[0].scalar])
def test_element_rules_agree_with_the_vjp_and_central_differences(op, shapes, params):
    """Each array op's rule element by element (``explain --element``): for every result element k,
    the partials it lists are the VJP of the one-hot gradient at k, and central differences of k."""
    args = [a if np.ndim(a) else float(a) for a in operand_values(op, shapes)]
    ans = op.array.forward(params, *args)
    out_shape = np.shape(ans)
    for k in itertools.product(*[range(n) for n in out_shape]):
        rows = element_jacobian(op, params, args, np.asarray(ans), k)
        g = np.zeros(out_shape)
        g[k] = 1.0
        for j, a in enumerate(args):
            vjp = np.broadcast_to(op.array.vjp(j, params, g if out_shape else 1.0, ans, args), np.shape(a))
            np.testing.assert_allclose(rows[j], vjp, rtol=1e-12, atol=1e-15, err_msg=f"{op.name} {k} operand {j}")
            if j in integer_operands(op, params, len(args)):
                continue  # indices: their VJP is zero (above); a step would leave the integers
            for index in itertools.product(*[range(n) for n in np.shape(a)]):
                h = 1e-6 * max(1.0, abs(float(np.asarray(a)[index])))
                moved = []
                for step in (h, -h):
                    shifted = [np.array(x, dtype=float) for x in args]
                    shifted[j][index] += step
                    moved.append(np.asarray(op.array.forward(params, *[s if s.ndim else float(s) for s in shifted])))
                numeric = (moved[0][k] - moved[1][k]) / (2 * h)
                assert rows[j][index] == pytest.approx(numeric, rel=1e-6, abs=1e-7), (op.name, k, j, index)


SCALAR = [op for op in OPS.values() if op.scalar]
TWIN_RNG = np.random.default_rng(19)


def twin_points(op, count: int, wide: bool) -> list:
    """Operand columns (one float array per operand) inside the op's domain, off its kinks and ties:
    within +-3, or (``wide``) over magnitudes from 1e-4 to 30 as well, where the numpy forms
    take other branches (tanh's far tail, atan's 1/x, sigmoid's exp(-|x|))."""
    arity = op.arity or 3
    points = []
    while len(points) < count:
        if wide and TWIN_RNG.random() < 0.5:
            p = [float(TWIN_RNG.choice([-1, 1]) * 10 ** TWIN_RNG.uniform(-4, 1.5)) for _ in range(arity)]
        else:
            p = [float(TWIN_RNG.uniform(-3, 3)) for _ in range(arity)]
        if (any(abs(x) < 1e-3 for x in p) or (op.domain is not None and not op.domain(*p))
                or (op.kinks is not None and op.kinks(*p)) or len(set(p)) < len(p)):
            continue
        try:
            out = op.forward(*p)
            if not all(math.isfinite(v) for v in [out] + [op.partial(j, p, out) for j in range(arity)]):
                continue
        except (ArithmeticError, ValueError):
            continue
        points.append(p)
    return [np.array(column) for column in zip(*points)]


def numpy_partials(op, columns) -> list:
    """The op's partials on arrays, element by element: its VJP of a gradient of ones."""
    with np.errstate(all="ignore"):  # as in the sweeps: 0^-1 is inf, and an undefined partial nan
        ans = op.array.forward((), *columns)
        ones = np.ones(np.shape(ans))
        return ans, [np.broadcast_to(op.array.vjp(j, (), ones, ans, columns), np.shape(ans))
                     for j in range(len(columns))]


def assert_twins(op, columns, rel=1e-13):
    ans, on_arrays = numpy_partials(op, columns)
    for e, point in enumerate(zip(*[np.broadcast_to(c, np.shape(ans)).tolist() for c in columns])):
        out = op.forward(*point)
        assert float(ans[e]) == pytest.approx(out, rel=rel, abs=1e-300), (op.name, point)
        for j, partial in enumerate(on_arrays):
            expected = op.partial(j, list(point), out)  # nan where undefined (d(a^b)/db at 0^0): nan too
            assert float(partial[e]) == pytest.approx(expected, rel=rel, abs=1e-300, nan_ok=True), (op.name, point, j)


@pytest.mark.parametrize("op", SCALAR, ids=lambda op: op.name)
def test_numpy_partials_agree_with_their_scalar_twins(op):
    """Where an op's numpy form is its own code (numpy_partials), and where it is the scalar rule itself,
    the array sweep's partials are the scalar sweep's, element by element, over a wide range.  (Each
    side meets central differences already: test_ops.py for the scalar partials,
    test_vjp_matches_central_differences above for the VJPs, g times the numpy partials.)"""
    assert_twins(op, twin_points(op, 400, wide=True))


@pytest.mark.parametrize("name, columns", [
    ("abs", [[0.0, -0.0]]), ("relu", [[0.0]]), ("sign", [[0.0, 5.0]]),  # the conventions at kinks
    ("hypot", [[0.0], [0.0]]), ("atan2", [[0.0, 0.0], [-2.0, -0.5]]),
    ("max", [[2.0, 1.0], [2.0, 1.0], [-1.0, 1.0]]), ("min", [[-1.0, 3.0], [-1.0, 3.0], [2.0, 3.0]]),  # ties
    ("pow", [[0.5, 2.0, 3.0], 2.0]), ("pow", [[0.5, 2.0, 3.0], 0.0]), ("pow", [[0.5, 2.0], -1.5]),  # constant b
    ("pow", [[0.0, 0.0, 1.0], [2.0, 0.0, 3.0]]),  # 0^b: d/db is 0 for b > 0, undefined at 0^0
    ("tanh", [[20.0, -40.0, 1e-9, 1.8, -1.9]]), ("sigmoid", [[-700.0, 700.0, 1e-9]]),
    ("atan", [[1e200, -1e-200, 1.0, -1.0]]), ("softplus", [[-50.0, 50.0, 0.0]]),
])
def test_numpy_partials_keep_the_scalar_conventions(name, columns):
    """At kinks, ties, a constant exponent and far tails the two forms take other branches: same numbers."""
    assert_twins(OPS[name], [np.array(c) if isinstance(c, list) else c for c in columns])
