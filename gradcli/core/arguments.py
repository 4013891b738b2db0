"""What a call or an index fixes in the text, read before lowering.

A call's arguments are its operands (values that carry gradient) followed by the
op's fixed arguments, in numpy's order and under numpy's names (``Op.keywords``):
``sum(S, 1)`` and ``sum(S, axis=1)`` both give the node ``sum`` the params
``(1, False)`` (axis, keepdims) and the one operand S.  A fixed argument is a
value written in the program: a number, a sign, True, False, None, a string
(``'ij,jk->ik'``), a tuple ``(0, 1)`` or a literal of numbers; arithmetic on
them is folded (a loop's ``t - 1``).  Nothing here evaluates user text beyond
that small fold.

A subscript (``x[1:, None, y]``) is resolved the same way: fixed integers,
slices and None become the ``index`` node's params; any other subscript is an
array of integers (``S[arange(N), y]``) and becomes an operand, marked
``OPERAND`` in the params.

Two kinds of op take their arguments otherwise (``Op.sequence``, ``Op.results``):
``concatenate([a, b], axis=1)`` has the list's elements as its operands, and
``split(x, 2)[0]`` picks one of the arrays a call returns: the index becomes
the call's last param, and the subscript is the call itself.
"""

from __future__ import annotations

import math

from gradcli.core.ops import (CONSTANTS, FUNCTIONS, OPERAND, OPS, REQUIRED, UNPICKED, function_hint,
                              static_text)
from gradcli.lang.program import (ARRAY, CALL, KEYWORD, LIST, NAME, NUM, OP, SLICE, STRING, TUPLE, Expr, Program,
                                  source_line, walk)
from gradcli.lang.syntax import dotted_hint
from gradcli.support.errors import ProgramError

_NAMED = {"True": True, "False": False, "None": None}
FIXED_NAMES = frozenset(_NAMED)
_FOLD = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "neg": lambda a: -a}


class NotFixed(Exception):
    """The expression is not a value written in the text (it reads a name, or calls a function)."""

    def __init__(self, where: Expr):
        self.where = where


def static_value(expr: Expr):
    """The value of a fixed argument: an int for a whole number written without a point or exponent,
    else a float; True, False, None; a string; a tuple.  Raises ``NotFixed`` at what is not fixed."""
    values: list = []
    for e in walk(expr):
        kind = e.kind
        if kind == NUM:
            values.append(int(e.text) if e.text.isdigit() else e.value)
        elif kind == NAME and e.text in _NAMED:
            values.append(_NAMED[e.text])
        elif kind == NAME and e.text == "inf":  # numpy's inf (norm(x, inf)), in a fixed argument only
            values.append(math.inf)
        elif kind == STRING:
            values.append(e.text)
        elif kind == ARRAY:
            values.append(_as_tuple(e.value))
        elif kind == TUPLE:
            n = len(e.args)
            values[-n:] = [tuple(values[-n:])]
        elif kind == OP and e.text in _FOLD:
            n = len(e.args)
            operands = values[-n:]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in operands):
                raise NotFixed(e)
            values[-n:] = [_FOLD[e.text](*operands)]
        else:
            raise NotFixed(e)
    return values[0]


def _as_tuple(value):
    """A literal of numbers as a (nested) tuple, whole numbers as ints: ``[0, 1]`` -> ``(0, 1)``."""
    if isinstance(value, list):
        return tuple(_as_tuple(v) for v in value)
    return int(value) if float(value).is_integer() else value


def check_call(program: Program, e: Expr) -> None:
    """Check a call's function and arguments; the fixed arguments become the node's params.

    ``sum(S, 1)``, ``sum(S, axis=1)``, ``max(x)``, ``max(S, axis=1)`` become OP nodes
    (sum, amax) with the axis in ``params`` and the array as the one operand, so the
    lowering never sees a fixed argument as a value.
    """
    name = _function(program, e)
    positional = [a for a in e.args if a.kind != KEYWORD]
    keywords = [a for a in e.args if a.kind == KEYWORD]
    if keywords and e.args[-1].kind != KEYWORD:
        raise program_error(program, e.args[-1], f"in {e.text}(...), a positional argument cannot follow "
                            f"{keywords[0].text}=", "arity")
    if e.text in ("max", "min") and (len(positional) == 1 or keywords):
        if len(positional) != 1:
            raise program_error(program, keywords[0], f"{e.text}(..., {keywords[0].text}=) reduces one array: write "
                                f"{e.text}(x, axis=1); {e.text}(a, b) is elementwise and takes no axis", "arity")
        name = "a" + name  # max(x): the largest element, not the elementwise max
    if name == "clip" and len(positional) == 3 and not keywords:  # clip(x, None, hi) is min(x, hi), as numpy's
        x, low, high = positional
        unbounded = [b.kind == NAME and b.text == "None" for b in (low, high)]
        if all(unbounded):
            raise program_error(program, e, "clip needs a_min or a_max (one of them may be None)", "arity")
        if any(unbounded):
            name = "min" if unbounded[0] else "max"
            positional = [x, high if unbounded[0] else low]
            e.text, e.args = name, tuple(positional)
    op = OPS[name]
    # numpy's einsum takes its subscripts first: einsum('ij,jk', A, B)
    leading = [positional.pop(0)] if op.keywords[:1] == (("subscripts", REQUIRED),) and positional else []
    if not op.keywords:
        if keywords:
            what = "no axis" if keywords[0].text == "axis" else f"no argument '{keywords[0].text}'"
            raise program_error(program, keywords[0], f"{e.text} takes {what}", "arity")
        _check_count(program, e, op, len(positional))
        if op.results is not None:  # slogdet(A): its index is picked by the subscript that follows
            e.kind, e.text, e.params = OP, name, (UNPICKED,)
        return
    if op.sequence:  # concatenate([a, b], 1): the list's elements are the operands
        if not positional or positional[0].kind != LIST:
            constant = " (a literal of numbers only is one constant: write the result)" \
                if positional and positional[0].kind == ARRAY else ""
            raise program_error(program, positional[0] if positional else e, f"{e.text} takes its arrays as "
                                f"a list written in brackets: {_signature(e.text, op)}{constant}", "arity")
        operands = len(positional[0].args)
        positional = [*positional[0].args, *positional[1:]]
    else:
        operands = len(positional) if op.arity is None else min(op.arity, len(positional))
    if op.arity is not None and operands < op.arity:
        _check_count(program, e, op, operands)
    params = dict(op.keywords)
    given: dict[str, Expr] = {}
    names = [k for k, _ in op.keywords]
    extra = leading + positional[operands:]
    if len(extra) > len(names):
        raise program_error(program, e, f"{e.text} takes {_signature(e.text, op)}, "
                            f"got {len(positional)} positional arguments", "arity")
    for key, value in zip(names, extra):
        given[key] = value
    for k in keywords:
        if k.text not in params:
            raise program_error(program, k, f"{e.text} has no argument '{k.text}' (it takes "
                                f"{_signature(e.text, op)})", "arity")
        if k.text in given:
            raise program_error(program, k, f"{k.text}= is given twice in {e.text}(...)", "arity")
        given[k.text] = k.args[0]
    for key, value in given.items():
        try:
            params[key] = static_value(value)
        except NotFixed as exc:
            raise program_error(program, exc.where, f"the {key} of {e.text}(...) is {_FIXED_WORDS.get(key, _ANY)}",
                                "axis") from None
        if key == "axis" and not _is_axis(params[key]):
            raise program_error(program, value, f"the axis of {e.text}(...) is {_FIXED_WORDS['axis']}", "axis")
    missing = [key for key in names if params[key] is REQUIRED]
    if missing:
        raise program_error(program, e, f"{e.text} needs {missing[0]}=: {_signature(e.text, op)}", "arity")
    e.params = tuple(params[key] for key in names) + ((UNPICKED,) if op.results is not None else ())
    e.kind, e.text, e.args = OP, name, tuple(positional[:operands])


_ANY = "fixed in the program: a number, True or False, a string, or a tuple like (0, 1)"
_FIXED_WORDS = {"axis": "a whole number written in the program, like 0, 1 or -1, or a tuple of them like (0, 1)",
                "bias": "added after the call, as in conv2d(x, w) + b[:, None, None]"}


def _is_axis(value) -> bool:
    """None, an int, or a tuple of ints: what numpy takes as an axis."""
    values = value if isinstance(value, tuple) else (value,)
    return value is None or all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _function(program: Program, e: Expr) -> str:
    """The op table's name for the function called, or the error saying what it may be."""
    name = FUNCTIONS.get(e.text)
    if name is not None:
        return name
    if "." in e.text:  # np.dot(W, x), x.sum(): gradcli has numpy's submodules (linalg.inv), not others
        owner = e.text.split(".")[0]
        line = source_line(program.source, e.line) or e.text
        hint = dotted_hint(line, e.column - 1 + len(owner))
        raise ProgramError(f"unknown function '{e.text}'{hint}", e.line, e.column + len(owner),
                           source_line(program.source, e.line), kind="unknown-function")
    hint = function_hint(e.text)
    if _is_variable(program, e.text):
        hint = f": {e.text} is not a function; to multiply, write {e.text}*(...)"
    raise program_error(program, e, f"unknown function '{e.text}'{hint}", "unknown-function")


def _check_count(program: Program, e: Expr, op, n: int) -> None:
    if op.arity is None and n < 2:
        raise program_error(program, e, f"{e.text} takes two or more arguments, got {n}", "arity")
    if op.arity is not None and n != op.arity:
        if op.keywords:
            raise program_error(program, e, f"{e.text} takes {_signature(e.text, op)}, got {n} "
                                f"argument{'s' if n != 1 else ''}", "arity")
        want = {1: "one argument", 2: "two arguments", 3: "three arguments"}.get(op.arity, f"{op.arity} arguments")
        raise program_error(program, e, f"{e.text} takes {want}, got {n}", "arity")


def _signature(name: str, op) -> str:
    """``sum(x, axis=None, keepdims=False)``: how the function is called."""
    operands = {1: ["x"], 2: ["a", "b"]}.get(op.arity, ["a", "b", "..."] if op.arity is None else
                                                [f"x{k}" for k in range(op.arity)])
    if op.sequence:
        operands = ["[a, b, ...]"]
    fixed = [key if default is REQUIRED else f"{key}={static_text(default)}" for key, default in op.keywords]
    return f"{name}({', '.join(operands + fixed)})"


def resolve_subscript(program: Program, e: Expr) -> None:
    """``x[1, :, None, y]`` as an ``index`` OP: fixed subscripts in params, arrays of integers as operands.

    ``scatter_add(g, x)[1:, y]`` (the rule of ``x[1:, y]``: g added at those places of zeros shaped
    like x) is one ``scatter_add`` OP with the same params, its operands g, x, then the arrays.
    """
    base, *subscripts = e.args
    if base.kind == OP and base.params and base.params[-1] is UNPICKED:
        _pick(program, e, base, subscripts)
        return
    params, operands = [], [base]
    op = "index"
    if base.kind == CALL and base.text == "scatter_add":  # checked already: two operands
        op, operands = "scatter_add", list(base.args)
    for s in subscripts:
        if s.kind == SLICE:
            try:
                start, stop, step = (static_value(a) for a in s.args)
            except NotFixed as exc:
                raise program_error(program, exc.where, "a slice's bounds are whole numbers written in the "
                                    "program, like x[1:], x[:-1] or x[::2]", "index") from None
            for bound in (start, stop, step):
                if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                    raise program_error(program, s, f"a slice's bounds are whole numbers, not {bound!r}", "index")
            if step == 0:
                raise program_error(program, s, "a slice's step cannot be 0", "index")
            params.append(slice(start, stop, step))
            continue
        try:
            value = static_value(s)
        except NotFixed:
            if s.kind == OP and s.text in _MASKS:
                raise program_error(program, s, "an index is an array of integers, not a mask of 0 and 1 "
                                    "(selecting by a condition gives a shape only the values know): to zero "
                                    "the other elements, multiply by the mask, like x * (x > 0)", "index") from None
            params.append(OPERAND)
            operands.append(s)
            continue
        if isinstance(value, tuple) and value and all(isinstance(v, int) and not isinstance(v, bool)
                                                      for v in _flattened(value)):
            params.append(value)  # x[[0, 0, 1]]: a fixed array of integers
            continue
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise program_error(program, s, f"an index is a whole number (0-based), a slice like 1:3, None, "
                                f"or an array of integers; not {static_text(value)}", "index")
        params.append(value)
    e.kind, e.text, e.args, e.params = OP, op, tuple(operands), tuple(params)


_MASKS = frozenset({"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"})


def _pick(program: Program, e: Expr, base: Expr, subscripts: list) -> None:
    """``split(x, 2)[0]``: the index of the array picked becomes the call's last param, and the
    subscript becomes the call.  An index into the array picked is a second subscript: ``[0][1]``."""
    count = OPS[base.text].result_count(base.params[:-1])
    try:
        k = static_value(subscripts[0]) if len(subscripts) == 1 and subscripts[0].kind != SLICE else None
    except NotFixed:
        k = None
    if not isinstance(k, int) or isinstance(k, bool) or not -count <= k < count:
        raise program_error(program, subscripts[0], f"{base.text}(...) returns {count} arrays; pick one by a "
                            f"whole number from 0 to {count - 1}, as {base.text}(...)[0] (then index it: "
                            f"{base.text}(...)[0][1])", "index")
    base.params = base.params[:-1] + (k % count,)
    e.kind, e.text, e.args, e.params = OP, base.text, base.args, base.params
    e.line, e.column = base.line, base.column


def _flattened(value: tuple) -> list:
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, tuple):
            stack.extend(v)
        else:
            out.append(v)
    return out


def _is_variable(program: Program, name: str) -> bool:
    """``name`` is one letter, a constant, or a name the program assigns or uses: ``a(b+1)`` is a product."""
    if len(name) == 1 or name in CONSTANTS or any(st.target == name for st in program.statements):
        return True
    return any(e.kind == NAME and e.text == name for st in program.statements if st.expr is not None
               for e in walk(st.expr))


def program_error(program: Program, where, message: str, kind: str) -> ProgramError:
    return ProgramError(message, where.line, where.column, source_line(program.source, where.line), kind=kind)


