"""Bounded loops, unrolled before lowering, so the tape stays a flat list and every view works.

``for t in range(1, 4) { h[t] = tanh(W @ h[t-1] + x[t]) }`` becomes the statements
``h[1] = ...``, ``h[2] = ...``, ``h[3] = ...``, each with ``t`` replaced by its
value.  A statement is named by the loop's variable (``h[t] = ...`` is named
``h[2]`` when t is 2), and ``h[t-1]`` reads the statement named so: a name
with statements named by an index is read only through them (``h[5]`` where no
statement is named so is an error, never an element of an input ``h``).
Anywhere else a subscript indexes an array (``x[t]``).  Loops nest; a loop's
bounds are whole numbers written in the program (or names the program gives a
number).  Nothing here recurses: the statements are expanded with a stack of
iterators and each expression is copied by one loop over its nodes.
"""

from __future__ import annotations

from gradcli.core.arguments import NotFixed, program_error, static_value
from gradcli.lang.program import CALL, NAME, NUM, SUBSCRIPT, Expr, Loop, Program, Statement, walk
from gradcli.support.limits import MAX_UNROLLED

_RANGE_WORDS = "range(stop), range(start, stop) or range(start, stop, step), with whole numbers written in the program"


def unroll(program: Program) -> Program:
    """The program with every loop written out and every ``h[k]`` resolved to its statement."""
    numbers = _numbers(program)
    outside = {e.text for st in program.statements if isinstance(st, Statement)
               for e in walk(st.expr) if e.kind == NAME} | {st.target for st in program.statements}
    statements: list[Statement] = []
    pending = [iter([(st, {}) for st in program.statements])]
    while pending:
        item = next(pending[-1], None)
        if item is None:
            pending.pop()
            continue
        st, env = item
        if isinstance(st, Loop):
            if st.variable in env or st.variable in outside:
                raise program_error(program, st, f"the loop variable '{st.variable}' is already a name here", "loop")
            steps = _range(program, st, env, numbers)
            if len(statements) + len(steps) * len(st.body) > MAX_UNROLLED:
                raise program_error(program, st, f"the loops unroll to more than {MAX_UNROLLED:,} statements",
                                    "limit")
            pending.append(iter([(body, {**env, st.variable: t}) for t in steps for body in st.body]))
            continue
        statements.append(_instance(program, st, env))
    indexed = {st.target.split("[", 1)[0] for st in statements if "[" in st.target}
    named = {st.target for st in statements}
    for st in statements:
        st.expr = _resolve(program, st.expr, indexed, named)
    return Program(statements, program.source)


def _numbers(program: Program) -> dict[str, int]:
    """The names the program gives a whole number (``T = 50``): a loop's bounds may use them."""
    out = {}
    for st in program.statements:
        if isinstance(st, Statement) and st.subscript is None and not st.bare:
            try:
                value = static_value(st.expr)
            except NotFixed:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                out[st.target] = value
    return out


def _range(program: Program, loop: Loop, env: dict, numbers: dict) -> range:
    it = loop.iterable
    if it.kind != CALL or it.text != "range" or not 1 <= len(it.args) <= 3:
        raise program_error(program, it, f"a loop runs over {_RANGE_WORDS}", "loop")
    bounds = []
    for arg in it.args:
        try:
            value = static_value(_substituted(arg, {**numbers, **env}))
        except NotFixed as exc:
            raise program_error(program, exc.where, f"a loop runs over {_RANGE_WORDS}", "loop") from None
        if not isinstance(value, int) or isinstance(value, bool):
            raise program_error(program, arg, f"a loop runs over {_RANGE_WORDS}", "loop")
        bounds.append(value)
    if len(bounds) == 3 and bounds[2] == 0:
        raise program_error(program, it, "range's step cannot be 0", "loop")
    return range(*bounds)


def _instance(program: Program, st: Statement, env: dict) -> Statement:
    """The statement at one step of its loops: the variables replaced by their values, the target named."""
    target = st.target
    if st.subscript is not None:
        subscripts = []
        for s in st.subscript:
            try:
                value = static_value(_substituted(s, env))
            except NotFixed as exc:
                raise program_error(program, exc.where, "a statement is named by whole numbers or a loop's "
                                    "variable, like h[0] or h[t]", "loop") from None
            if not isinstance(value, int) or isinstance(value, bool):
                raise program_error(program, s, "a statement is named by whole numbers, like h[0] or h[t]", "loop")
            subscripts.append(str(value))
        target = f"{target}[{', '.join(subscripts)}]"
    elif env:
        raise program_error(program, st, f"'{target}' would be assigned at every step of the loop: name it by "
                            f"the loop's variable, like {target}[{next(iter(env))}] = ...", "loop")
    return Statement(target, _substituted(st.expr, env) if env else st.expr, st.line, st.column, st.bare)


def _substituted(expr: Expr, env: dict) -> Expr:
    """A copy of ``expr`` with each name in ``env`` replaced by its number (one loop, post-order)."""
    built: list[Expr] = []
    for e in walk(expr):
        n = len(e.args)
        args = tuple(built[-n:]) if n else ()
        if n:
            del built[-n:]
        if e.kind == NAME and e.text in env:
            value = env[e.text]
            built.append(Expr(NUM, str(value), value=float(value), line=e.line, column=e.column))
        else:
            built.append(Expr(e.kind, e.text, args, e.value, e.line, e.column, e.params))
    return built[0]


def _resolve(program: Program, expr: Expr, indexed: set, named: set) -> Expr:
    """``h[2]`` where statements are named ``h[...]``: the name of that statement."""
    if not indexed:
        return expr
    for e in walk(expr):
        if e.kind != SUBSCRIPT or e.args[0].kind != NAME or e.args[0].text not in indexed:
            continue
        base = e.args[0].text
        try:
            at = [static_value(s) for s in e.args[1:]]
        except NotFixed as exc:
            raise program_error(program, exc.where, f"the statements named {base}[...] are read with whole "
                                f"numbers or a loop's variable, like {base}[t-1]", "loop") from None
        name = f"{base}[{', '.join(str(k) for k in at)}]"
        if name not in named:
            raise program_error(program, e, f"{name} is not assigned: the statements named {base}[...] are "
                                f"{_listed(base, named)}", "loop")
        e.kind, e.text, e.args, e.params = NAME, name, (), ()
    return expr


def _listed(base: str, named: set) -> str:
    names = sorted((n for n in named if n.startswith(base + "[")),
                   key=lambda n: [int(k) for k in n[len(base) + 1:-1].split(", ")])
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]}, ..., {names[-1]}"
