"""The floor for a scalar program: Python's own compiler parses the text, a minimal tape, two sweeps.

    python benchmarks/floor_tape.py FILE x=0.5

Reads the same program text gradcli reads (a chain of `name = expression` statements
using + - * / and sin/cos/exp/log/tanh), parses it with ``ast.parse`` (CPython's C
parser), lowers it into parallel lists (op, operand indices) with one node per
operation and one per distinct constant, runs a forward pass and a reverse sweep,
and prints the output's value and gradient as JSON: the least a tool could do with
the same input, to time gradcli's whole process against.  Like gradcli, it pauses the
garbage collector while it builds, and parses a statement at a time (``ast.parse`` of the
whole 10 MB text holds every statement's tree at once and is twice as slow).
"""

from __future__ import annotations

import ast
import gc
import json
import math
import sys

UNARY = {"sin": (math.sin, math.cos), "cos": (math.cos, lambda x: -math.sin(x)),
         "exp": (math.exp, math.exp), "log": (math.log, lambda x: 1 / x),
         "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2)}
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def main(path: str, bindings: list[str]) -> None:
    inputs = dict((b.split("=")[0], float(b.split("=")[1])) for b in bindings)
    ops: list[str] = []  # "in", "const", "+", "-", "*", "/", or a function's name
    args: list[tuple[int, ...]] = []
    vals: list[float] = []
    names: dict[str, int] = {}
    consts: dict[float, int] = {}

    def node(op, a, v=0.0):
        ops.append(op)
        args.append(a)
        vals.append(v)
        return len(ops) - 1

    for name, v in sorted(inputs.items()):
        names[name] = node("in", (), v)
    gc.disable()
    last = None
    for line in open(path):  # each statement's expression, lowered with an explicit stack
        if not line.strip():
            continue
        statement = ast.parse(line).body[0]
        stack, out = [(statement.value, False)], []
        while stack:
            e, ready = stack.pop()
            if isinstance(e, ast.Name):
                out.append(names[e.id])
            elif isinstance(e, ast.Constant):
                if e.value not in consts:
                    consts[e.value] = node("const", (), float(e.value))
                out.append(consts[e.value])
            elif not ready:
                stack.append((e, True))
                children = [e.left, e.right] if isinstance(e, ast.BinOp) else e.args
                stack.extend((c, False) for c in reversed(children))
            else:
                n = 2 if isinstance(e, ast.BinOp) else 1
                operands = tuple(out[-n:])
                del out[-n:]
                out.append(node(BINARY[type(e.op)] if n == 2 else e.func.id, operands))
        last = names[statement.targets[0].id] = out[0]
    for i, op in enumerate(ops):  # forward
        if op in ("in", "const"):
            continue
        a = args[i]
        if op == "+":
            vals[i] = vals[a[0]] + vals[a[1]]
        elif op == "-":
            vals[i] = vals[a[0]] - vals[a[1]]
        elif op == "*":
            vals[i] = vals[a[0]] * vals[a[1]]
        elif op == "/":
            vals[i] = vals[a[0]] / vals[a[1]]
        else:
            vals[i] = UNARY[op][0](vals[a[0]])
    adj = [0.0] * len(ops)  # reverse
    adj[last] = 1.0
    for i in range(last, -1, -1):
        g, op, a = adj[i], ops[i], args[i]
        if op in ("in", "const") or g == 0.0:
            continue
        if op == "+":
            adj[a[0]] += g
            adj[a[1]] += g
        elif op == "-":
            adj[a[0]] += g
            adj[a[1]] -= g
        elif op == "*":
            adj[a[0]] += g * vals[a[1]]
            adj[a[1]] += g * vals[a[0]]
        elif op == "/":
            adj[a[0]] += g / vals[a[1]]
            adj[a[1]] -= g * vals[a[0]] / vals[a[1]] ** 2
        else:
            adj[a[0]] += g * UNARY[op][1](vals[a[0]])
    print(json.dumps({"value": vals[last], "gradient": {n: adj[names[n]] for n in sorted(inputs)}}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
