"""How the shape ops are written: numpy's names, arguments and keywords; a call returning several arrays
indexed by a fixed integer (``split(x, 2)[0]``); a list of arrays as operands (``concatenate([a, b])``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gradcli.autodiff.loading import load
from gradcli.autodiff.gradient import evaluate
from gradcli.core.lower import lower_text
from gradcli.support.errors import ProgramError

X = np.arange(1.0, 13.0).reshape(3, 4) / 7


def gradient(text: str, **values):
    """f and df/d(each input), by gradcli, the inputs bound to arrays."""
    problem = load(text, [f"{k}={np.asarray(v).tolist()}" for k, v in values.items()])
    result = evaluate(problem)
    return result.value, {name: np.asarray(g) for name, g in result.gradient.items()}


@pytest.mark.parametrize("text, numpy_f, picked", [
    ("f = sum(split(x, 2, axis=1)[1]^2)", lambda x: np.sum(np.split(x, 2, axis=1)[1] ** 2), (slice(None), slice(2, 4))),
    ("f = sum(split(x, (1, 3))[1]^2)", lambda x: np.sum(np.split(x, (1, 3))[1] ** 2), (slice(1, 3),)),
    ("f = sum(split(x, 3)[-1]^2)", lambda x: np.sum(np.split(x, 3)[-1] ** 2), (slice(2, 3),)),
    ("f = split(x, 2, 1)[0][2, 1]^2", lambda x: np.split(x, 2, 1)[0][2, 1] ** 2, (2, 1)),
])
def test_a_call_returning_several_arrays_is_indexed_by_a_fixed_integer(text, numpy_f, picked):
    """The index picks numpy's array; the gradient reaches only the elements of that array: 2x there."""
    value, grads = gradient(text, x=X)
    assert value == pytest.approx(numpy_f(X), rel=1e-14)
    expected = np.zeros_like(X)
    expected[picked] = 2 * X[picked]
    np.testing.assert_allclose(grads["x"], expected, rtol=1e-14)


def test_the_index_picked_is_the_last_param_and_the_definition_shows_it():
    tape = lower_text("y = split(x, 2)[1]; f = sum(y)")
    node = tape.nodes[tape.names["y"]]
    assert node.op.name == "split" and node.params == (2, 0, 1)
    assert tape.definition(node.index) == "split(x, indices_or_sections=2)[1]"


@pytest.mark.parametrize("text, words", [
    ("s = split(x, 2); f = sum(s)", "split returns 2 arrays, as numpy's does: pick one by its index, [0] to [1]"),
    ("f = sum(split(x, 2)[2])", "split(...) returns 2 arrays; pick one by a whole number from 0 to 1"),
    ("f = sum(split(x, 2)[0:1])", "pick one by a whole number"),
    ("f = sum(split(x, 2)[0, 1])", "then index it: split(...)[0][1]"),
    ("f = sum(split(x, 2)[x])", "pick one by a whole number"),
    ("f = sum(split(x, 5)[0])", "split: axis 0 of shape (4, 3) has 4 elements, which do not divide into 5"),
    ("f = sum(pad(x, 1, mode='edge'))", "pad: mode 'edge' is not supported; only 'constant' (zeros)"),
    ("f = sum(pad(x, (1, 2, 3)))", "pad: pad_width (1, 2, 3) does not fit shape (4, 3)"),
    ("f = sum(concatenate(x))", "concatenate takes its arrays as a list written in brackets: "
                                "concatenate([a, b, ...], axis=0)"),
    ("f = sum(stack([[1, 2], [3, 4]]))", "(a literal of numbers only is one constant: write the result)"),
    ("f = sum(concatenate([x, transpose(x)]))", "concatenate along axis 0: array 0 is (4, 3), array 1 is (3, 4)"),
    ("f = sum(stack([x, x[0]]))", "stack: the arrays must have one shape: array 0 is (4, 3), array 1 is (3,)"),
    ("f = sum(reshape(x, (5, 2)))", "reshape: (4, 3) has 12 elements, (5, 2) holds 10"),
    ("f = sum(transpose(x, (0, 0)))", "transpose: axes (0, 0) are not an order of the 2 axes of (4, 3)"),
    ("f = sum(tril(x[0]))", "tril takes a matrix (or a stack of them), not (3,)"),
    ("f = sum(repeat(x, (1, 2), axis=0))", "repeat: 2 repeats for 4 elements along axis 0 of shape (4, 3)"),
    ("f = sum(diag(expand_dims(x, 0)))", "diag takes a vector (to make a matrix) or a matrix"),
    ("f = sum(squeeze(x, 0))", "squeeze: cannot select an axis to squeeze out which has size not equal to one"),
])
def test_what_does_not_fit_stops_with_one_line_at_its_place(text, words):
    with pytest.raises(ProgramError, match=re.escape(words)):
        load(text, ["x=" + str(np.zeros((4, 3)).tolist())])


# transpose's and expand_dims' table cases live in test_array_ops.ARRAY_CASES; these add axes and tuples.
MORE_CASES = [("transpose", [(2, 3, 4)], ((2, 0, 1),)), ("transpose", [(2, 3)], ((0, 1),)),
              ("transpose", [(2, 3, 4)], ((-1, 0, 1),)),
              ("expand_dims", [(3,)], ((0, 2),)), ("expand_dims", [(2, 3)], ((-1, 0),))]


@pytest.mark.parametrize("name, shapes, params", MORE_CASES)
def test_axes_and_tuples_meet_the_table_tests(name, shapes, params):
    from test_array_ops import (test_element_rules_agree_with_the_vjp_and_central_differences,
                                test_vjp_matches_central_differences_and_jvp)
    from test_rules_tensor import test_every_ops_rule_evaluates_to_its_vjp

    from gradcli.core.ops import OPS

    probe = np.zeros(shapes[0])
    numpy_shape = (np.transpose(probe, *params) if name == "transpose" else np.expand_dims(probe, *params)).shape
    assert OPS[name].array.shape(params, *shapes) == numpy_shape
    for check in (test_vjp_matches_central_differences_and_jvp,
                  test_element_rules_agree_with_the_vjp_and_central_differences,
                  test_every_ops_rule_evaluates_to_its_vjp):
        check(OPS[name], shapes, params)


@pytest.mark.parametrize("text, numpy_value", [
    ("f = sum(concatenate([x, 2*x, [[1, 2, 3, 4]]]) * 1)", lambda x: np.sum(np.concatenate([x, 2 * x, [[1, 2, 3, 4]]]))),
    ("f = sum(stack([x, x], axis=2)[:, :, 1] * x)", lambda x: np.sum(np.stack([x, x], axis=2)[:, :, 1] * x)),
    ("f = sum(stack([x[0], x[1]]) * [2, 3, 4, 5])", lambda x: np.sum(np.stack([x[0], x[1]]) * [2, 3, 4, 5])),
    ("f = sum([x[0], x[1]] * [2, 3, 4, 5])", lambda x: np.sum(np.array([x[0], x[1]]) * [2, 3, 4, 5])),
])
def test_a_list_of_arrays_is_the_operands_and_the_literal_stays_a_literal(text, numpy_value):
    value, grads = gradient(text, x=X)
    assert value == pytest.approx(numpy_value(X), rel=1e-14)


def test_the_definition_writes_the_list_back():
    tape = lower_text("y = stack([a, b], axis=1); z = concatenate([a, y[:, 0]]); f = sum(z)")
    assert tape.definition(tape.names["y"]) == "stack([a, b], axis=1)"
    assert tape.definition(tape.names["z"]).startswith("concatenate([a, ")



