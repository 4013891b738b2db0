"""Hypothesis strategies shared by the tests: random programs over the whole operator table.

``programs()`` draws a program with values for its inputs.  It reads everything
from ``gradcli.ops``: which ops exist, how each is spelled (infix symbols,
function names and their synonyms such as ``ln``, ``pow`` and ``**``), its arity
(variadic ops get two to four operands), and its test domain.  A new op in the
table is generated without a change here.

Each op is applied only where a central difference can check it: its operands
lie inside ``op.domain`` with a margin, away from kinks (an op with ``kinks``
must be smooth over a small box around its operands: not at a kink, partials
nearly the same at every corner, value predicted by them), and values and
local partials stay moderate.  Programs have shared named intermediates,
repeated operands (``x*x``), literal constants, defaults (``a = 1.5``) next to
command-line bindings, statements in any order, bare expressions, comments,
blank lines and every statement separator.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from gradcli.core.ops import ALIAS, CALL, CONSTANTS, FUNCTIONS, INFIX, INFIX_OPS, PREFIX, PREFIX_OPS, SCALAR_OPS

# Fixed seed, bounded: the whole property suite runs in well under a minute.
# GRADCLI_EXAMPLES=2000 runs more (the README's figure says how many ran).
EXAMPLES = int(os.environ.get("GRADCLI_EXAMPLES", "150"))
SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=EXAMPLES,
                    suppress_health_check=[HealthCheck.too_slow])

MAX_VALUE = 1e4  # |value| and |local partial| of every generated node
DOMAIN_MARGIN = 0.05  # operands stay in the domain over +-5% (at least +-0.05)
KINK_MARGIN = 1e-3  # and keep their partials over +-0.1%
NAMES = ["x", "y", "a", "b", "c", "w0", "x1", "x2", "x10", "_t", "rate", "weight_decay_2"]
LITERALS = ["2", "0.5", "3", "1.5", ".25", "2.", "1e-1", "1.5e0", "pi", "e"]
SEPARATORS = ["\n", "; ", ";\n", " ;  ", "\n\n", "\r\n", ";;\n"]


@dataclass
class Generated:
    """A program and how to run it: bindings on the command line, defaults in the text."""

    text: str
    bindings: list[str]  # NAME=VALUE texts, exact (repr)
    values: dict[str, float]  # every input's value
    output: str | None  # --of NAME, or None for the last statement
    ops_used: list[str] = field(default_factory=list)


@dataclass(eq=False)  # compared by identity
class _Term:
    text: str  # as an operand: a name, a literal, or a parenthesised expression
    value: float
    inputs: frozenset
    atomic: bool  # a name or a non-negative literal: no parentheses needed
    named: bool = False


def spellings(op) -> list[str]:
    """Every way the language writes ``op``: ``^`` and ``**``; ``log`` and ``ln``; ``pow(a, b)``."""
    if op.style == ALIAS:  # y = x: a statement naming another value
        return [(ALIAS, "")]
    if op.style == INFIX:
        found = [s for s, name in INFIX_OPS.items() if name == op.name]
    elif op.style == PREFIX:
        found = [s for s, name in PREFIX_OPS.items() if name == op.name]
    else:
        found = []
    calls = [f for f, name in FUNCTIONS.items() if name == op.name]
    return [(op.style if s in found else CALL, s) for s in found + calls]


def _box(values: list[float], relative: float):
    """Every corner of a box around the operands, each side +-relative (at least +-relative absolute)."""
    sides = [(v - relative * max(1.0, abs(v)), v + relative * max(1.0, abs(v))) for v in values]
    return itertools.product(*sides)


def _partials(op, vals):
    out = op.forward(*vals)
    return [op.partial(j, list(vals), out) for j in range(len(vals))]


def _smooth_around(op, vals: list[float], out: float, parts: list[float]) -> bool:
    """No kink at or near the operands: over a small box the partials barely move (relu, max)
    and the first-order model predicts the value (sign's jump moves the value, not the partials)."""
    if op.kinks(*vals):
        return False
    for corner in _box(vals, KINK_MARGIN):
        corner = list(corner)
        if any(abs(p - q) > 0.05 * max(1.0, abs(p)) for p, q in zip(parts, _partials(op, corner))):
            return False
        predicted = out + sum(p * (c - v) for p, c, v in zip(parts, corner, vals))
        if abs(op.forward(*corner) - predicted) > 1e-2 * max(1.0, abs(out)):
            return False
    return True


# Jumps the op table does not call kinks: where's condition is a mask, at 0 for every false
# element, so a warning there would be noise; but a nudge of a condition at 0 jumps the value.
JUMPS = {"where": lambda c, a, b: abs(c) < DOMAIN_MARGIN}


def applicable(op, vals: list[float]) -> bool:
    """True where the op is defined with a margin, smooth, and moderate: central differences can check it."""
    if op.name in JUMPS and JUMPS[op.name](*vals):
        return False
    try:
        if op.domain is not None and not all(op.domain(*c) for c in _box(vals, DOMAIN_MARGIN)):
            return False
        out = op.forward(*vals)
        parts = _partials(op, vals)
        if op.kinks is not None and not _smooth_around(op, vals, out, parts):
            return False
    except (ArithmeticError, ValueError):
        return False
    return (math.isfinite(out) and abs(out) <= MAX_VALUE and (out == 0 or abs(out) > 1e-6)
            and all(math.isfinite(p) and abs(p) <= MAX_VALUE for p in parts))


def _operand_text(term: _Term) -> str:
    return term.text if term.atomic else f"({term.text})"


def _literal(rng: random.Random) -> _Term:
    text = rng.choice(LITERALS)
    value = CONSTANTS[text] if text in CONSTANTS else float(text)
    return _Term(text, value, frozenset(), atomic=True)


def generate(rng: random.Random) -> Generated:
    """One random program, reproducible from ``rng``."""
    ops = list(SCALAR_OPS.values())
    input_names = rng.sample(NAMES, rng.randint(1, 4))
    values = {n: round(rng.uniform(-2.5, 2.5), rng.choice([1, 3, 17])) for n in input_names}
    named: list[_Term] = [_Term(n, values[n], frozenset([n]), atomic=True) for n in input_names]
    pending: list[_Term] = []  # unnamed expressions, each used at most once
    statements: list[tuple[str, str]] = []  # (target, text)
    ops_used = []
    counter = itertools.count(1)
    referenced: list[_Term] = []
    last = None
    for _ in range(rng.randint(1, 10)):
        op = rng.choice(ops)
        arity = op.arity or rng.randint(2, 4)
        for _attempt in range(12):
            picks = []
            for _k in range(arity):
                r = rng.random()
                if r < 0.15:
                    picks.append(("literal", _literal(rng)))
                elif r < 0.55 and pending:
                    picks.append(("pending", rng.choice(pending)))
                else:
                    # favour recent names so that chains grow deep; x*x happens by picking twice
                    recent = named[-rng.randint(1, min(2, len(named)))]
                    picks.append(("named", recent if rng.random() < 0.6 else rng.choice(named)))
            terms = [t for _, t in picks]
            # stop_gradient cuts the gradient by definition: central differences check it on constants only
            if applicable(op, [t.value for t in terms]) and not (op.cuts and any(k != "literal" for k, _ in picks)):
                break
        else:
            continue
        for kind, term in picks:
            if kind == "pending" and term in pending:
                pending.remove(term)
            referenced.append(term)
        style, symbol = rng.choice(spellings(op))
        texts = [_operand_text(t) for t in terms]
        if style == ALIAS:
            text = terms[0].text
        elif style == INFIX:
            text = f"{texts[0]} {symbol} {texts[1]}" if rng.random() < 0.5 else f"{texts[0]}{symbol}{texts[1]}"
        elif style == PREFIX:
            text = f"{symbol}{texts[0]}"
        else:
            text = f"{symbol}({', '.join(t.text for t in terms)})"
        term = _Term(text, op.forward(*[t.value for t in terms]),
                     frozenset().union(*[t.inputs for t in terms]), atomic=style == CALL)
        ops_used.append(op.name)
        if rng.random() < 0.5 or style == ALIAS:  # an alias is a statement by definition
            name = f"t{next(counter)}"
            statements.append((name, text))
            term = _Term(name, term.value, term.inputs, atomic=True, named=True)
            named.append(term)
        else:
            pending.append(term)
        last = term
    if last is None:  # nothing applied: the identity of an input
        last = _Term(named[0].text + " + 0", named[0].value, named[0].inputs, atomic=False)
    # Mostly, the output adds up every result nothing else uses, so that gradients reach far.
    loose = [t for t in pending + named[len(input_names):] if t is not last and t not in referenced]
    summed = bool(loose) and rng.random() < 0.8
    if summed:
        terms = [last, *loose]
        last = _Term(" + ".join(_operand_text(t) for t in terms), math.fsum(t.value for t in terms),
                     frozenset().union(*[t.inputs for t in terms]), atomic=False)
    # The output: the last term, named or bare (the output f).
    if last.named:
        output_target = last.text
    else:
        output_target = rng.choice(["J", "f"])
        statements.append((output_target, last.text))
    used = _all_inputs(statements, input_names)
    defaults = [n for n in input_names if rng.random() < 0.25]
    bindings = [f"{n}={values[n]!r}" for n in input_names if n in used and n not in defaults]
    lines = [f"{n} = {values[n]!r}" for n in defaults]
    lines += [text if target == "f" else f"{target} = {text}" for target, text in statements]
    # The output is the statement nothing else uses; with other unused statements, --of picks it.
    # (A statement with no names in it, t1 = 2 + 2, gives an input a value: it is no output.)
    words = [set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) for _, text in statements]
    unused = [target for target, _ in statements if not any(target in w for w in words)]
    only = unused == [output_target] and bool(last.inputs)
    output = None if only and rng.random() < 0.6 else output_target
    rng.shuffle(lines)
    text = ""
    for k, line in enumerate(lines):
        text += (rng.choice(SEPARATORS) if k else rng.choice(["", "\n", "# generated\n"])) + line
        if rng.random() < 0.1:
            text += "  # note\n"
    text += rng.choice(["", "\n", ";"])
    all_values = {n: values[n] for n in input_names if n in used or n in defaults}
    return Generated(text, bindings, all_values, output, ops_used)


def _all_inputs(statements, input_names) -> frozenset:
    """Inputs that occur in the statements' text (as whole names)."""
    words = set()
    for _, text in statements:
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return frozenset(n for n in input_names if n in words)


@st.composite
def programs(draw) -> Generated:
    """A random program over the whole op table, with values inside each op's domain."""
    return generate(draw(st.randoms(use_true_random=False)))
