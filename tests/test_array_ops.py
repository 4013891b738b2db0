"""Every op of the table on arrays: VJPs against central differences, JVPs against VJPs, shapes.

Each case builds a tiny tape by hand: the op applied to inputs of given shapes,
then ``loss = sum(op(...) * R)`` with a fixed random R, so that the VJP is
tested against every direction at once.  The op table is iterated: an op with no
case here fails ``test_every_op_has_array_cases``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gradcli.autodiff import array_sweeps
from gradcli.core.arrays import ShapeError
from gradcli.core.ops import OPS
from gradcli.core.tape import CONST, INPUT, OPERATION, Tape

RNG = np.random.default_rng(7)

# op name -> list of (operand shapes, params); scalar ops get elementwise cases below.
ARRAY_CASES = {
    "matmul": [([(2, 3), (3,)], ()), ([(3,), (3, 2)], ()), ([(2, 3), (3, 4)], ()), ([(3,), (3,)], ())],
    "sum": [([(2, 3)], ()), ([(2, 3)], (0,)), ([(2, 3)], (1,)), ([(4,)], (-1,))],
    "mean": [([(2, 3)], ()), ([(2, 3)], (1,))],
    "amax": [([(2, 3)], ()), ([(2, 3)], (0,))],
    "amin": [([(2, 3)], ()), ([(3, 2)], (1,))],
    "dot": [([(3,), (3,)], ())],
    "outer": [([(3,), (2,)], ())],
    "norm": [([(3,)], ()), ([(2, 3)], ())],
    "transpose": [([(2, 3)], ()), ([(3,)], ())],
    "logsumexp": [([(4,)], ()), ([(2, 3)], (1,)), ([(2, 3)], (0,))],
    "softmax": [([(4,)], ()), ([(2, 3)], (1,)), ([(2, 3)], (0,))],
    "index": [([(4,)], (2,)), ([(2, 3)], (1, 0)), ([(2, 3)], (1,)), ([(2, 3)], (-1, -2))],
    "stack": [([(3,), (3,), (3,)], ()), ([(), ()], ())],
    "expand_dims": [([(3,)], (0,)), ([(3,)], (1,)), ([(2, 3)], (-1,)), ([()], (0,))],
}
ELEMENTWISE_SHAPES = [[(2, 3)], [(2, 3), (3,)], [(3, 1), (1, 2)], [(), (2,)], [(2, 2), ()]]


def operand_values(op, shapes):
    """Random operands inside the op's scalar domain (for elementwise ops), away from kinks."""
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
    out_shape = op.array.shape(params, *shapes)
    vals_in = operand_values(op, shapes)
    tape, loss = build(op, shapes, params, out_shape)
    vals = array_sweeps.array_values(tape, dict(enumerate(vals_in)))
    expected = np.asarray(op.array.forward(params, *vals_in))
    assert expected.shape == out_shape  # the shape rule agrees with the value
    adj = array_sweeps.array_adjoints(tape, vals, loss)
    for k, v in enumerate(vals_in):
        grad = np.asarray(adj[k])
        assert grad.shape == np.shape(v)  # a gradient has the shape of its variable
        for index in itertools.product(*[range(n) for n in np.shape(v)]):
            h = 1e-6 * max(1.0, abs(float(np.asarray(v)[index])))
            up, down = [np.array(x, dtype=float) for x in vals_in], [np.array(x, dtype=float) for x in vals_in]
            up[k][index] += h
            down[k][index] -= h
            numeric = (loss_at(tape, loss, [u if np.ndim(u) else float(u) for u in up])
                       - loss_at(tape, loss, [d if np.ndim(d) else float(d) for d in down])) / (2 * h)
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
    ("sum", [(2, 3)], (2,), "axis 2 does not exist for shape (2, 3)"),
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
