"""``derive --numpy``: the derived backward pass as a Python function over numpy arrays.

Google's Tangent is the model: source-to-source, one line per statement of the
derived program, readable beside the assignment code a student writes.  The
function is printed from the derived program's own text (parsed by gradcli's
grammar, printed as Python), so it says exactly what ``derive`` says:
``d_W = np.outer(d_q, x)``.  The ops numpy has under another name are renamed
(``asin`` is ``np.arcsin``, ``^`` is ``**``, ``max(a, b)`` is ``np.maximum``);
those it lacks (sigmoid, relu, softmax, ...) get a short helper at the top,
written only when used.  An op with no short numpy form (conv2d, the pooling
layers, the linear-algebra ops that return several arrays) is refused by name.
"""

from __future__ import annotations

import keyword

from gradcli.lang.program import ARRAY, CALL, KEYWORD, LIST, NAME, NUM, OP, SLICE, STRING, SUBSCRIPT, TUPLE
from gradcli.lang.syntax import parse_program
from gradcli.support.errors import UsageError

FUNCTION = "forward_backward"

# gradcli's function (as the table names it) -> numpy's, where they differ in name only.
_RENAMED = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2", "asinh": "arcsinh",
            "acosh": "arccosh", "atanh": "arctanh", "ln": "log", "pow": "power", "round": "rint",
            "amax": "max", "amin": "min", "stack": "stack", "flatten": "ravel", "add": "add",
            "sub": "subtract", "mul": "multiply", "div": "divide", "neg": "negative"}
_LINALG = {"norm", "inv", "det", "solve", "pinv", "cholesky", "slogdet", "svd", "eigh"}

# Helpers for what numpy lacks: name -> (definition, helpers it calls).
_HELPERS = {
    "sigmoid": ("def sigmoid(x):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=float)))\n", ()),
    "relu": ("def relu(x):\n    return np.maximum(x, 0.0)\n", ()),
    "softplus": ("def softplus(x):\n    return np.logaddexp(0.0, x)\n", ()),
    "scatter_add": ("def scatter_add(g, x, key):\n"
                    "    \"\"\"Zeros of x's shape with g added at x[key] (np.add.at adds at a repeated index).\"\"\"\n"
                    "    out = np.zeros(np.shape(x))\n"
                    "    np.add.at(out, key, g)\n"
                    "    return out\n", ()),
    "cholesky": ("def cholesky(x):\n"
                 "    \"\"\"gradcli's cholesky factors the symmetric part of x (numpy's reads its lower triangle).\"\"\"\n"
                 "    return np.linalg.cholesky(0.5 * (x + np.swapaxes(x, -1, -2)))\n", ()),
    "stop_gradient": ("def stop_gradient(x):\n    return x\n", ()),
    "logsumexp": ("def logsumexp(x, axis=None, keepdims=False):\n"
                  "    m = np.max(x, axis=axis, keepdims=True)\n"
                  "    m = np.where(np.isfinite(m), m, 0.0)\n"
                  "    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m\n"
                  "    return s if keepdims else np.squeeze(s, axis=axis)\n", ()),
    "softmax": ("def softmax(x, axis=None):\n"
                "    z = np.exp(x - np.max(x, axis=axis, keepdims=True))\n"
                "    return z / np.sum(z, axis=axis, keepdims=True)\n", ()),
    "log_softmax": ("def log_softmax(x, axis=None):\n"
                    "    return x - logsumexp(x, axis=axis, keepdims=True)\n", ("logsumexp",)),
}
# Ops whose numpy form is more than a call: refused with their names.
_UNWRITTEN = {"conv2d", "conv_transpose2d", "conv2d_weight", "max_pool2d", "max_pool2d_backward",
              "max_pool2d_gather", "avg_pool2d", "avg_pool2d_backward", "svd", "eigh", "slogdet",
              "split"}

_INFIX = {"add": ("+", 11), "sub": ("-", 11), "mul": ("*", 12), "div": ("/", 12), "matmul": ("@", 12),
          "pow": ("**", 14), "less": ("<", 6), "less_equal": ("<=", 6), "greater": (">", 6),
          "greater_equal": (">=", 6), "equal": ("==", 6), "not_equal": ("!=", 6)}
_ATOM = 20


def numpy_function(program: str, inputs: list[str], output: str, adjoints: dict[str, str],
                   values: dict[str, str], forward_count: int, numpy_numbers: bool = False,
                   loaded: list[str] = ()) -> str:
    """The program (gradcli text, forward statements first) as ``def forward_backward(...)``.

    ``adjoints``: input -> the statement holding its derivative; ``values``: input -> its
    value as gradcli writes it, for the ``__main__`` block (an input missing from it is loaded by the user);
    ``loaded``: the inputs whose values were too large to write, read from NAME.npy;
    any other input without a value is read from the command line.
    With ``numpy_numbers`` a number there is numpy's (``np.float64(0.5)``), which indexes as an array does.
    """
    printer = _Printer()
    statements = parse_program(program).statements
    names = {name: _python_name(name) for name in [*inputs, *(s.target for s in statements)]}
    printer.names = names
    body = [f"{names[s.target]} = {printer.text(s.expr)}" for s in statements if s.target not in values]
    forward = sum(1 for s in statements[:forward_count] if s.target not in values)
    params = ", ".join(names[n] for n in inputs)
    gradient = ", ".join(f"{n!r}: {names[a]}" for n, a in adjoints.items())
    lines = ["import numpy as np", "", ""]
    for helper in _with_their_helpers(printer.used):
        lines += [_HELPERS[helper][0], ""]
    lines += [f"def {FUNCTION}({params}):",
              f'    """{output} and its gradient with respect to {", ".join(inputs)}: the backward pass that '
              f'gradcli derive wrote."""']
    lines += [f"    {line}" for line in body[:forward]]
    lines += [f"    # the backward pass, in sweep order: d_<name> = d{output}/d<name>"]
    lines += [f"    {line}" for line in body[forward:]]
    lines += [f"    return {names[output]}, {{{gradient}}}", "", ""]
    lines += ['if __name__ == "__main__":']
    asked = [name for name in inputs if name not in values and name not in loaded]
    if asked:  # a point not given to derive: from the command line, in this order
        lines += ["    import sys", "",
                  f"    if len(sys.argv) != {len(asked) + 1}:",
                  f"        sys.exit('usage: python {{}} {' '.join(n.upper() for n in asked)}'.format(sys.argv[0]))"]
    for name in inputs:
        if name in asked:
            lines.append(f"    {names[name]} = float(sys.argv[{asked.index(name) + 1}])")
        elif name in values:
            text = printer.value(values[name])
            numpy_number = numpy_numbers and not text.startswith("np.")
            lines.append(f"    {names[name]} = {f'np.float64({text})' if numpy_number else text}")
        else:
            lines.append(f"    {names[name]} = np.load({name + '.npy'!r})  # too large to write here: save it there")
    lines += [f"    {names[output]}, gradient = {FUNCTION}({params})",
              f"    print({output!r}, {names[output]})",
              "    for name, value in gradient.items():",
              f"        print('d{output}/d' + name, value)"]
    return "\n".join(lines) + "\n"


def _with_their_helpers(used: list[str]) -> list[str]:
    order = []
    for name in used:
        for dep in _HELPERS[name][1]:
            if dep not in order:
                order.append(dep)
        if name not in order:
            order.append(name)
    return order


def _python_name(name: str) -> str:
    """A name Python takes: ``lambda`` and ``np`` get a trailing underscore."""
    return f"{name}_" if keyword.iskeyword(name) or name in ("np", FUNCTION) or name in _HELPERS else name


class _Printer:
    def __init__(self):
        self.used: list[str] = []
        self.names: dict[str, str] = {}

    def value(self, text: str) -> str:
        expr = parse_program(f"v = {text}").statements[0].expr
        return self.text(expr)

    def text(self, e) -> str:
        return self._print(e)[0]

    def _print(self, e) -> tuple[str, int]:
        kind = e.kind
        if kind == NUM:
            return repr(float(e.value)) if "." in e.text or "e" in e.text.lower() else e.text, _ATOM
        if kind == NAME:
            if e.text in ("pi", "e", "inf", "nan") and e.text not in self.names:
                return f"np.{e.text}", _ATOM
            return ("None" if e.text == "None" else self.names.get(e.text, e.text)), _ATOM
        if kind == ARRAY:
            return f"np.array({e.text})", _ATOM
        if kind == LIST:
            return f"np.array([{', '.join(self.text(a) for a in e.args)}])", _ATOM
        if kind == STRING:
            return repr(e.text), _ATOM
        if kind == TUPLE:
            items = [self.text(a) for a in e.args]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")", _ATOM
        if kind == KEYWORD:
            return f"{e.text}={self.text(e.args[0])}", _ATOM
        if kind == SLICE:
            parts = ["" if a.kind == NAME and a.text == "None" else self.text(a) for a in e.args]
            return ":".join(parts[:2]) if parts[2] == "" else ":".join(parts), _ATOM
        if kind == SUBSCRIPT:
            base_expr = e.args[0]
            if base_expr.kind == CALL and base_expr.text == "scatter_add":  # the rule of x[key]: g added at [key]
                self._use("scatter_add")
                g, x = (self.text(a) for a in base_expr.args)
                return f"scatter_add({g}, {x}, np.s_[{', '.join(self.text(a) for a in e.args[1:])}])", _ATOM
            base = self._operand(e.args[0], _ATOM)
            return f"{base}[{', '.join(self.text(a) for a in e.args[1:])}]", _ATOM
        if kind == OP:
            return self._op(e)
        if kind == CALL:
            return self._call(e), _ATOM
        raise UsageError(f"derive --numpy: no Python form for {e.text!r}", kind="numpy")

    def _argument(self, name: str, a) -> str:
        if a.kind == LIST and name in ("concatenate", "stack_axis"):  # numpy's sequence of arrays
            return f"[{', '.join(self.text(x) for x in a.args)}]"
        if a.kind == KEYWORD and name == "reshape" and a.text == "newshape":  # numpy 2.1 dropped the old name
            return f"shape={self.text(a.args[0])}"
        return self.text(a)

    def _use(self, helper: str) -> None:
        if helper not in self.used:
            self.used.append(helper)

    def _operand(self, e, at_least: int) -> str:
        text, prec = self._print(e)
        return text if prec >= at_least else f"({text})"

    def _op(self, e) -> tuple[str, int]:
        if e.text == "neg":
            return f"-{self._operand(e.args[0], 13)}", 13
        if e.text not in _INFIX:
            return self._call(e), _ATOM
        symbol, prec = _INFIX[e.text]
        a, b = e.args
        if e.text == "pow":  # right-associative, and tighter than a unary minus on its left
            return f"{self._operand(a, prec + 1)} ** {self._operand(b, 13)}", prec
        if prec == 6:
            return f"{self._operand(a, 7)} {symbol} {self._operand(b, 7)}", prec
        return f"{self._operand(a, prec)} {symbol} {self._operand(b, prec + 1)}", prec

    def _call(self, e) -> str:
        from gradcli.core.ops import FUNCTIONS

        written = e.text
        name = FUNCTIONS.get(written, written)
        positional = [a for a in e.args if a.kind != KEYWORD]
        if name in ("max", "min", "amax", "amin"):
            if len(positional) > 1:  # max(a, b, c): elementwise
                text = self.text(positional[0])
                for other in positional[1:]:
                    text = f"np.{name}imum({text}, {self.text(other)})"
                return text
            name = "max" if name in ("max", "amax") else "min"
        if name in _UNWRITTEN:
            raise UsageError(f"derive --numpy does not write {written} yet (its numpy form is more than a "
                             "call); the derived gradcli program has it: derive without --numpy",
                             kind="numpy")
        args = ", ".join(self._argument(name, a) for a in e.args)
        if name == "scatter_add":
            self._use(name)
            return f"scatter_add({args}, ())"
        if name in _HELPERS:
            self._use(name)
            return f"{name}({args})"
        if name == "stack_axis":
            name = "stack"
        if name == "stack" and e.kind == CALL:
            return f"np.stack({args})"
        prefix = "np.linalg." if name in _LINALG else "np."
        return f"{prefix}{_RENAMED.get(name, name)}({args})"


__all__ = ["numpy_function", "FUNCTION"]
