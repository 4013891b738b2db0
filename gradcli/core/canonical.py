"""Closed forms simplified the way a person (or SymPy) writes them: like terms collected, powers merged.

The DAG's smart constructor (core/symbolic.py) only makes rewrites that keep every double bit
for bit, because the derived *program* must reproduce the sweep.  A closed form is a formula
to read, so here the rewrites of algebra are allowed: an expression becomes a sum of terms,
each a number times a product of powers of bases (names, function calls, sums), as SymPy's
``Add`` and ``Mul`` hold it.  Then

* like terms are collected (``a + b + (b + 1)`` is ``a + 2*b + 1``) and equal bases multiply by
  adding exponents (``2*(x/(2*sqrt(u)))`` is ``x/sqrt(u)``, ``((1 + e)^2)^2`` is ``(1 + e)^4``,
  ``1/(1 - s) * (1 - s)`` is 1);
* ``sigmoid(-z)`` is ``1 - sigmoid(z)`` and relu's slope ``relu(sign(z))`` is ``z > 0``;
* the form chosen is the smallest of: this one, it expanded (products of sums multiplied out,
  so that ``-(y - 1)*s - y*(1 - s)`` becomes ``s - y``), and either with the factors common to
  every term taken out (``s*x1 - y*x1`` is ``(s - y)*x1``), and the expression as it came.

Exponents are merged only where that holds for every value: ``(u^2)^2`` is ``u^4``, but
``sqrt(x^2)`` stays (it is |x|).  The values may differ from the sweep's in the last digits.
Expressions here are at most a few hundred nodes (closed forms are written only while small),
so the helpers below recurse on nesting depth, which that bound keeps shallow.
"""

from __future__ import annotations

import math

from gradcli.core.ops import OPS

_MAX_TERMS = 64  # an expansion past this many terms is not a simplification

ONE: tuple = ((), 1.0)


def _sum(terms: dict) -> tuple:
    """A canonical sum from {monomial: coefficient}: zero coefficients dropped, sorted; a sum that is
    one sum times a number is that sum scaled (``1*(x^2 + 1) + 1`` adds up to ``x^2 + 2``)."""
    kept = [(m, c) for m, c in terms.items() if c != 0.0]
    if len(kept) == 1:
        (m, c), = kept
        if len(m) == 1 and m[0][1] == 1.0 and m[0][0][0] == "+":
            return scale(m[0][0], c)
    return ("+", tuple(sorted(kept, key=_term_key)))


def _term_key(term):
    monomial, _ = term
    return (len(monomial) == 0, repr(monomial))


def number(c: float) -> tuple:
    return _sum({(): float(c)})


def symbol(name: str) -> tuple:
    return _sum({((("s", name), 1.0),): 1.0})


def _single(a: tuple):
    """(monomial, coefficient) when the sum has one term, else None."""
    terms = a[1]
    if len(terms) == 1:
        return terms[0]
    if not terms:
        return ((), 0.0)
    return None


def value_of(a: tuple) -> float | None:
    """The number a sum is, if it is one."""
    one = _single(a)
    return one[1] if one is not None and one[0] == () else None


def add(a: tuple, b: tuple) -> tuple:
    terms = dict(a[1])
    for m, c in b[1]:
        terms[m] = terms.get(m, 0.0) + c
    return _sum(terms)


def scale(a: tuple, k: float) -> tuple:
    return _sum({m: c * k for m, c in a[1]})


def _merge(m1: tuple, m2: tuple) -> tuple:
    exps = dict(m1)
    for base, e in m2:
        exps[base] = exps.get(base, 0.0) + e
    return tuple(sorted(((b, e) for b, e in exps.items() if e != 0.0), key=repr))


def _as_factor(a: tuple) -> tuple:
    """A sum as a factor of a product: one term gives its own (monomial, coefficient); more, the sum
    made primitive (its first term's coefficient 1: ``2*e + 2`` is 2 times ``e + 1``) and itself."""
    one = _single(a)
    if one is not None:
        return one
    base, g = _primitive(a)
    return (((base, 1.0),), g)


def _primitive(a: tuple) -> tuple[tuple, float]:
    g = a[1][0][1]
    if g == 1.0:
        return a, 1.0
    return scale(a, 1.0 / g), g


def mul(a: tuple, b: tuple) -> tuple:
    ka, kb = value_of(a), value_of(b)
    if ka is not None:
        return scale(b, ka)  # 2*(x + y) is 2*x + 2*y, as SymPy writes it
    if kb is not None:
        return scale(a, kb)
    (ma, ca), (mb, cb) = _as_factor(a), _as_factor(b)
    return _sum({_merge(ma, mb): ca * cb})


def power(a: tuple, k: float) -> tuple:
    """a^k for a number k; exponents multiply only where that holds for every value of the base."""
    if k == 1.0:
        return a
    if k == 0.0:
        return number(1.0)
    whole = k == int(k)
    one = _single(a)
    if one is not None:
        m, c = one
        if m == () and (c > 0 or whole):
            return number(c ** k)
        if (c > 0 or whole) and all(whole or e == 1.0 for _, e in m):
            return _sum({tuple((b, e * k) for b, e in m): c ** k})
        return _sum({((a, k),): 1.0})
    base, g = _primitive(a)
    if g > 0 or whole:
        return _sum({((base, k),): g ** k})
    return _sum({((a, k),): 1.0})


def function(op_name: str, args: tuple) -> tuple:
    """A call, with the rewrites that name a known derivative."""
    if op_name == "sigmoid" and all(c < 0 for _, c in args[0][1]) and args[0][1]:
        return add(number(1.0), scale(function("sigmoid", (scale(args[0], -1.0),)), -1.0))
    if op_name == "relu":  # relu(sign(z)) is the mask z > 0
        inner = _single(args[0])
        if inner is not None and inner[1] == 1.0 and len(inner[0]) == 1:
            (base, e), = inner[0]
            if e == 1.0 and base[0] == "f" and base[1] == "sign":
                return function("greater", (base[2][0], number(0.0)))
    return _sum({((("f", op_name, tuple(args)), 1.0),): 1.0})


def expand(a: tuple, powers: bool = True) -> tuple | None:
    """Products of sums multiplied out (with ``powers``, a sum to a whole power up to 4 too, else such a
    power stays one factor); None past _MAX_TERMS terms."""
    total = number(0.0)
    for m, c in a[1]:
        product = number(c)
        for base, e in m:
            if base[0] == "+" and e == int(e) and 1 <= e <= (4 if powers else 1):
                inner = expand(base, powers)
                if inner is None:
                    return None
                for _ in range(int(e)):
                    product = _distribute(product, inner)
                    if product is None:
                        return None
            else:
                product = _distribute(product, _sum({((base, e),): 1.0}))
                if product is None:
                    return None
        total = add(total, product)
        if len(total[1]) > _MAX_TERMS:
            return None
    return total


def _distribute(a: tuple, b: tuple) -> tuple | None:
    terms: dict = {}
    for ma, ca in a[1]:
        for mb, cb in b[1]:
            m = _merge(ma, mb)
            terms[m] = terms.get(m, 0.0) + ca * cb
            if len(terms) > _MAX_TERMS:
                return None
    return _sum(terms)


def factor_common(a: tuple) -> tuple:
    """The factors every term shares taken out of a sum: ``s*x1 - y*x1`` is ``(s - y)*x1``."""
    terms = a[1]
    if len(terms) < 2:
        return a
    common = None
    for m, _ in terms:
        exps = dict(m)
        if common is None:
            common = exps
        else:
            common = {b: _shared(e, exps[b]) for b, e in common.items() if b in exps and _shared(e, exps[b])}
    if not common:
        return a
    rest = {}
    for m, c in terms:
        exps = dict(m)
        for b, e in common.items():
            exps[b] = exps[b] - e
        rest[tuple(sorted(((b, e) for b, e in exps.items() if e != 0.0), key=repr))] = c
    return mul(_sum({tuple(sorted(common.items(), key=repr)): 1.0}), _sum(rest))


def together(a: tuple) -> tuple | None:
    """A sum over one denominator, at every level (SymPy's together): ``y^2/(y^2 + 1) - 1/2`` is
    ``(y^2 - 1)/(2*(y^2 + 1))``; its numerator expanded.  None where an expansion grows too large."""
    terms = {}
    for m, c in a[1]:
        factors = []
        for base, e in m:
            if base[0] == "+":
                inner = together(base)
                if inner is None:
                    return None
                factors.append(power(inner, e))
            else:
                factors.append(_sum({((base, e),): 1.0}))
        product = number(c)
        for f in factors:
            product = mul(product, f)
        for tm, tc in product[1]:
            terms[tm] = terms.get(tm, 0.0) + tc
    a = _sum(terms)
    if len(a[1]) < 2 or not any(e < 0 for m, _ in a[1] for _, e in m):
        return a
    denominator: dict = {}  # base -> the largest power any term divides by
    for m, _ in a[1]:
        for base, e in m:
            if e < 0:
                denominator[base] = min(denominator.get(base, 0.0), e)
    numerator = number(0.0)
    for m, c in a[1]:
        exps = dict(m)
        for base, e in denominator.items():
            exps[base] = exps.get(base, 0.0) - e
        term = _sum({tuple(sorted(((b, x) for b, x in exps.items() if x != 0.0), key=repr)): c})
        numerator = add(numerator, term)
    numerator = expand(numerator, powers=False)  # (x + y)^2 stays a factor: 0.5*(u + 1) - u is 0.5*(1 - u)
    if numerator is None:
        return None
    over = _sum({tuple(sorted(((b, e) for b, e in denominator.items()), key=repr)): 1.0})
    return mul(factor_common(numerator), over)


def absorb(a: tuple) -> tuple:
    """A term's number moved into the one sum it multiplies: ``2*(s*z - 0.5*y)*s`` is ``(2*s*z - y)*s``."""
    out = []
    for m, c in a[1]:
        sums = [k for k, (base, e) in enumerate(m) if base[0] == "+" and e == 1.0]
        if c not in (1.0, -1.0) and len(sums) == 1:
            k = sums[0]
            base = scale(m[k][0], c)
            out.append((tuple(sorted(m[:k] + ((base, 1.0),) + m[k + 1:], key=repr)), 1.0))
        else:
            out.append((m, c))
    return ("+", tuple(sorted(out, key=_term_key)))


def _shared(e1: float, e2: float) -> float:
    """The exponent two terms share of one base: the smaller, when both have the same sign."""
    if e1 > 0 and e2 > 0:
        return min(e1, e2)
    if e1 < 0 and e2 < 0:
        return max(e1, e2)
    return 0.0


# ---------------------------------------------------------------- from and to the DAG


def from_dag(dag, root: int) -> tuple | None:
    """The canonical form of a DAG node (None if it has an op this algebra does not know)."""
    order = _cone(dag, root)
    form: dict[int, tuple] = {}
    for i in order:
        op = dag.op[i]
        if op is None:
            form[i] = number(dag.value[i]) if dag.value[i] is not None else symbol(dag.name[i])
            continue
        args = [form[a] for a in dag.args[i]]
        name = op.name
        if name == "add":
            form[i] = add(*args)
        elif name == "sub":
            form[i] = add(args[0], scale(args[1], -1.0))
        elif name == "mul":
            form[i] = mul(*args)
        elif name == "div":
            form[i] = mul(args[0], power(args[1], -1.0))
        elif name == "neg":
            form[i] = scale(args[0], -1.0)
        elif name == "pow" and value_of(args[1]) is not None:
            form[i] = power(args[0], value_of(args[1]))
        elif name == "sqrt":
            form[i] = power(args[0], 0.5)
        elif name == "square":
            form[i] = power(args[0], 2.0)
        elif name == "reciprocal":
            form[i] = power(args[0], -1.0)
        elif name == "copy":
            form[i] = args[0]
        else:
            form[i] = function(name, tuple(args))
    return form[root]


def _cone(dag, root: int) -> list[int]:
    needed = {root}
    for i in range(root, -1, -1):
        if i in needed:
            needed.update(dag.args[i])
    return sorted(needed)


def _rank_of(dag) -> dict[str, int]:
    """Each name's place: the order the program's inputs come in (the DAG makes their symbols first)."""
    return {dag.name[i]: i for i in range(len(dag)) if dag.name[i] is not None}


def _first(x, rank: dict) -> int:
    """The place of the first name in a term or base, for writing terms in the program's order."""
    best, stack = 1 << 30, [x]
    while stack:
        y = stack.pop()
        if isinstance(y, tuple):
            if len(y) == 2 and y[0] == "s" and isinstance(y[1], str):
                best = min(best, rank.get(y[1], 1 << 29))
            else:
                stack.extend(y)
    return best


def to_dag(dag, a: tuple, rank: dict | None = None) -> int:
    """A canonical form as DAG nodes: terms in the program's order of names (positive ones, then those
    with a denominator, then the number), a term as number * numerator / denominator."""
    rank = _rank_of(dag) if rank is None else rank
    terms = sorted(a[1], key=lambda t: (t[0] == (), any(e < 0 for _, e in t[0]), _first(t[0], rank),
                                        t[1] < 0, _term_key(t)))
    if terms and terms[0][1] < 0:  # a positive term first where there is one: x - y, not -y + x
        positive = [t for t in terms if t[1] > 0]
        if positive:
            terms.remove(positive[0])
            terms.insert(0, positive[0])
    if not terms:
        return dag.const(0.0)
    result = None
    for m, c in terms:
        if c < 0 and result is None:  # -(y^2 - 1)/u is (1 - y^2)/u: the sign goes into a sum it multiplies
            m, c = _sign_into_sum(m, c)
        node = _term(dag, tuple(sorted(m, key=lambda f: (_first(f[0], rank), repr(f)))), abs(c), rank)
        if result is None:
            result = node if c > 0 else dag.neg(node)
        else:
            result = dag.add(result, node) if c > 0 else dag.sub(result, node)
    return result


def _sign_into_sum(m: tuple, c: float) -> tuple[tuple, float]:
    for k, (base, e) in enumerate(m):
        if base[0] == "+" and e > 0 and e == int(e) and int(e) % 2 == 1:
            return m[:k] + ((scale(base, -1.0), e),) + m[k + 1:], -c
    return m, c


def _term(dag, m: tuple, c: float, rank: dict) -> int:
    up = [(b, e) for b, e in m if e > 0]
    down = [(b, -e) for b, e in m if e < 0]
    inverse = round(1.0 / c) if c and math.isfinite(1.0 / c) else 0
    divisor = None
    if inverse > 1 and abs(1.0 / c - inverse) <= 1e-12 * inverse and up:  # x/3, not 0.3333333333333333*x
        divisor, c = dag.const(float(inverse)), 1.0
    numerator = None if c == 1.0 and up else dag.const(c)
    for b, e in up:
        f = _factor(dag, b, e, rank)
        numerator = f if numerator is None else dag.mul(numerator, f)
    if not down:
        return numerator if divisor is None else dag.div(numerator, divisor)
    denominator = divisor
    for b, e in down:
        f = _factor(dag, b, e, rank)
        denominator = f if denominator is None else dag.mul(denominator, f)
    return dag.div(numerator, denominator)


def _factor(dag, base: tuple, e: float, rank: dict) -> int:
    node = _base(dag, base, rank)
    if e == 1.0:
        return node
    if e == 0.5:
        return dag.apply(OPS["sqrt"], (node,))
    return dag.apply(OPS["pow"], (node, dag.const(e)))


def _base(dag, base: tuple, rank: dict) -> int:
    if base[0] == "s":
        return dag.sym(base[1])
    if base[0] == "f":
        return dag.apply(OPS[base[1]], tuple(to_dag(dag, a, rank) for a in base[2]))
    return to_dag(dag, base, rank)


def simplest(dag, root: int, size, rank: dict | None = None) -> int:
    """The smallest of the canonical forms of ``root`` and ``root`` itself (``size(node)``: its size);
    ``rank`` orders the names (by default, as the DAG made their symbols)."""
    form = from_dag(dag, root)
    if form is None:
        return root
    candidates = [form, factor_common(form)]
    expanded = expand(form)
    if expanded is not None:
        candidates += [expanded, factor_common(expanded)]
    joined = together(form)
    if joined is not None:
        candidates += [joined, factor_common(joined)]
    candidates += [absorb(c) for c in candidates]
    rank = _rank_of(dag) if rank is None else rank
    best, best_size = root, size(root) + 1  # at equal size the collected form is the one a person writes
    for c in candidates:
        node = to_dag(dag, c, rank)
        s = size(node)
        if s < best_size:
            best, best_size = node, s
    return best


__all__ = ["simplest", "from_dag", "to_dag"]
