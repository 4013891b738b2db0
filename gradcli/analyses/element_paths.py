"""The paths of one element: the scalar graph behind one output element of an array program.

CS231n's advice when a vectorized gradient is unclear: write out the gradient of a
single element first.  ``explain --paths --element 'W[0,1]'`` (and ``--of 'q[0]'``)
builds the element-level graph for the cone of one output element only: every
array node becomes its elements, and every op its element edges, each with its
scalar partial and formula (a matmul becomes its sums of products: q[0] gets an
edge from W[0,1] with partial x[1]).  The scalar path machinery (exact counts,
the k-best listing without enumeration) then runs on it unchanged.

Element nodes are numbered in tape order, then element order: every edge goes
from a lower number to a higher one, as on the tape.
"""

from __future__ import annotations

import math
from itertools import product as index_product

from gradcli.analyses.paths import Edge, InputPaths, Path, PathGraph, PathsResult
from gradcli.autodiff import array_sweeps
from gradcli.autodiff.problem import Problem
from gradcli.core.failures import partial_error
from gradcli.core.tape import OPERATION, Tape
from gradcli.core.values import element_label, is_array, np, shape, shape_text
from gradcli.support.errors import UsageError


def _at(v, m: tuple) -> float:
    return float(v[m]) if m else float(v)


def _label(tape: Tape, node: int, m: tuple) -> str:
    return element_label(tape.nodes[node].label, m)


def _slice(s: tuple, k: tuple, axis: int | None):
    """The operand indices a reduction over ``axis`` gathers into output element ``k``."""
    if axis is None:
        return list(index_product(*[range(n) for n in s]))
    axis %= len(s)
    return [k[:axis] + (t,) + k[axis:] for t in range(s[axis])]


class _Text:
    """A formula written only when shown: a large element graph has far more edges than a view lists."""

    __slots__ = ("write",)

    def __init__(self, write):
        self.write = write

    def __str__(self) -> str:
        return self.write()


def element_edges(tape: Tape, vals: list, i: int, k: tuple):
    """``(operand j, operand node, operand element, partial, formula)`` for every edge into element k of node i.

    ``formula`` is text, a ``_Text`` that writes it when asked, or ``(node, element)``: that
    element's label (a matmul's partial is the other factor).
    """
    node = tape.nodes[i]
    op, args, ans = node.op, [vals[a] for a in node.args], vals[i]
    labels = lambda a, m: (a, m)  # noqa: E731  (the label of that element, written when shown)
    out_label = _label(tape, i, k)
    name = op.name
    if op.scalar:  # elementwise, with broadcasting: the operand element under k
        ms = []
        for a in args:
            sa = shape(a)
            offset = len(k) - len(sa)
            ms.append(tuple(0 if n == 1 else k[offset + d] for d, n in enumerate(sa)))
        elems = [_at(v, m) for v, m in zip(args, ms)]

        def formula(j):
            return _Text(lambda: op.formula(j, [_label(tape, a, m) for a, m in zip(node.args, ms)], out_label))

        return [(j, a, ms[j], op.partial(j, elems, _at(ans, k)), formula(j)) for j, a in enumerate(node.args)]
    axis = node.params[0] if node.params else None
    if name == "matmul":
        a_, b_ = args
        sa, sb = shape(a_), shape(b_)
        i2 = k[0] if len(sa) == 2 else None
        j2 = k[-1] if len(sb) == 2 else None
        edges = []
        for t in range(sa[-1]):
            ma = (i2, t) if len(sa) == 2 else (t,)
            mb = (t, j2) if len(sb) == 2 else (t,)
            edges.append((0, node.args[0], ma, _at(b_, mb), labels(node.args[1], mb)))
            edges.append((1, node.args[1], mb, _at(a_, ma), labels(node.args[0], ma)))
        return edges
    x = args[0] if args else None
    if name in ("sum", "mean", "amax", "amin", "logsumexp"):
        ms = _slice(shape(x), k, axis)
        if name == "sum":
            return [(0, node.args[0], m, 1.0, "1") for m in ms]
        if name == "mean":
            return [(0, node.args[0], m, 1.0 / len(ms), f"1/{len(ms)}") for m in ms]
        if name == "logsumexp":
            return [(0, node.args[0], m, math.exp(_at(x, m) - _at(ans, k)),
                     f"exp({_label(tape, node.args[0], m)} - {out_label})") for m in ms]
        hits = [m for m in ms if _at(x, m) == _at(ans, k)]
        return [(0, node.args[0], m, (1.0 / len(hits)) if m in hits else 0.0,
                 f"1/{len(hits)}" if m in hits and len(hits) > 1 else ("1" if m in hits else "0")) for m in ms]
    if name == "softmax":
        ms = _slice(shape(x), k, axis) if axis is not None else list(index_product(*[range(n) for n in shape(x)]))
        s_k = _at(ans, k)
        return [(0, node.args[0], m, s_k * ((1.0 if m == k else 0.0) - _at(ans, m)),
                 f"{out_label}*(1 - {out_label})" if m == k else f"-{out_label}*{_label(tape, i, m)}")
                for m in ms]
    if name == "dot":
        a_, b_ = args
        return [e for t in range(shape(a_)[0]) for e in (
            (0, node.args[0], (t,), _at(b_, (t,)), labels(node.args[1], (t,))),
            (1, node.args[1], (t,), _at(a_, (t,)), labels(node.args[0], (t,))))]
    if name == "outer":
        a_, b_ = args
        return [(0, node.args[0], (k[0],), _at(b_, (k[1],)), labels(node.args[1], (k[1],))),
                (1, node.args[1], (k[1],), _at(a_, (k[0],)), labels(node.args[0], (k[0],)))]
    if name == "norm":
        return [(0, node.args[0], m, _at(x, m) / _at(ans, k), f"{_label(tape, node.args[0], m)}/{out_label}")
                for m in index_product(*[range(n) for n in shape(x)])]
    if name == "transpose":
        return [(0, node.args[0], tuple(reversed(k)), 1.0, "1")]
    if name == "index":
        m = tuple(p % n for p, n in zip(node.params, shape(x))) + k
        return [(0, node.args[0], m, 1.0, "1")]
    if name == "stack":
        return [(k[0], node.args[k[0]], k[1:], 1.0, "1")]
    raise UsageError(f"explain --paths --element: no element rule for {op.symbol}")  # every op has one


class ElementGraph(PathGraph):
    """The scalar paths graph of output element ``index`` of node ``output`` (its cone only)."""

    def __init__(self, tape: Tape, values: list, output: int, index: tuple):
        self.tape, self.values, self.tensor = tape, values, False
        req = tape.requires_grad()
        start = (output, index)
        seen = {start}
        stack = [start]
        raw = []
        while stack:
            i, k = stack.pop()
            if tape.nodes[i].kind != OPERATION or not req[i]:
                continue
            try:
                edges = element_edges(tape, values, i, k)
            except (ArithmeticError, ValueError):
                raise partial_error(tape, values, i, 0) from None
            for j, a, m, partial, formula in edges:
                if not req[a]:
                    continue
                if not math.isfinite(partial):
                    raise partial_error(tape, values, i, j)
                raw.append(((a, m), (i, k), j, partial, formula))
                if (a, m) not in seen:
                    seen.add((a, m))
                    stack.append((a, m))
        self.keys = sorted(seen)  # tape order, then element order: topological
        self.id_of = {key: n for n, key in enumerate(self.keys)}
        self.output = self.id_of[start]
        raw.sort(key=lambda r: (self.id_of[r[1]], r[2], self.id_of[r[0]]))
        self.edges, self.out, self._formulas = [], [[] for _ in self.keys], {}
        for src, dst, j, partial, formula in raw:
            e = len(self.edges)
            self.edges.append(Edge(self.id_of[src], self.id_of[dst], j, partial))
            self._formulas[e] = formula
            self.out[self.id_of[src]].append(e)
        self._collapsed_cache = None

    def formula(self, e: int) -> str:
        f = self._formulas[e]
        return _label(self.tape, *f) if isinstance(f, tuple) else str(f)

    def label(self, v: int) -> str:
        i, k = self.keys[v]
        return _label(self.tape, i, k)

    def value(self, v: int):
        i, k = self.keys[v]
        return _at(self.values[i], k)

    def where(self, e: int) -> str:
        edge = self.edges[e]
        i, src = self.keys[edge.dst][0], self.keys[edge.src][0]
        node = self.tape.nodes[i]
        text = f"in {node.label} = {self.tape.definition(i)}"
        if node.args.count(src) > 1:
            text += f", operand {edge.operand + 1}"
        return text


def parse_element(text: str, what: str) -> tuple[str, tuple]:
    """``W[0,1]`` -> ("W", (0, 1)); a plain name -> (name, ())."""
    text = text.strip()
    if "[" not in text:
        return text, ()
    name, _, rest = text.partition("[")
    if not rest.endswith("]") or not name.isidentifier():
        raise UsageError(f"{what} {text}: write a name and indices like W[0,1]")
    try:
        return name, tuple(int(p) for p in rest[:-1].split(","))
    except ValueError:
        raise UsageError(f"{what} {text}: the indices must be whole numbers, like W[0,1]") from None


def _check_index(tape: Tape, vals: list, name: str, index: tuple, what: str) -> int:
    node = tape.names[name]
    s = shape(vals[node])
    if len(index) != len(s) or not all(0 <= i < n for i, n in zip(index, s)):
        raise UsageError(f"{what} {element_label(name, index)}: {name} has shape {shape_text(s)}"
                         + (f" (indices 0 to {', '.join(str(n - 1) for n in s)})" if s else " (a number: no index)"))
    return node


def element_paths(problem: Problem, output_index: tuple, element: str | None, max_paths: int) -> PathsResult:
    """Every input element's scalar paths to one output element (or to ``element`` only)."""
    tape = problem.tape
    vals = array_sweeps.forward(tape, problem.input_values())
    out = _check_index(tape, vals, problem.output, output_index, "--of")
    seed = 1.0
    if shape(vals[out]):
        seed = np.zeros(shape(vals[out]))
        seed[output_index] = 1.0
    adjoints = array_sweeps.reverse(tape, vals, out, seed)
    graph = ElementGraph(tape, vals, out, output_index)
    wanted = None
    if element is not None:
        name, index = parse_element(element, "--element")
        if name not in problem.wrt:
            raise UsageError(f"--element {element}: '{name}' is not an input {problem.output} reads "
                             f"(inputs: {', '.join(problem.wrt)})")
        wanted = (_check_index(tape, vals, name, index, "--element"), index)
    starts = [graph.id_of[key] for key in graph.keys if tape.nodes[key[0]].kind != OPERATION
              and tape.nodes[key[0]].name in problem.wrt and (wanted is None or key == wanted)]
    if wanted is not None and wanted not in graph.id_of:
        starts = []
    counts = graph.counts(starts)
    capped = [s for s in starts if counts[s] > max_paths]
    best = graph.best_paths(capped, max_paths) if capped else {}
    sweep = _ElementSweep(problem, vals, out, output_index)
    result = PathsResult(sweep, graph, max_paths=max_paths)
    result.element_output = element_label(problem.output, output_index)
    for s in starts:
        i, k = graph.keys[s]
        listing = best[s] if s in best else list(graph.all_paths(s))
        paths = [Path(p, [s] + [graph.edges[e].dst for e in p], [graph.edges[e].partial for e in p],
                      graph.product(p)) for p in listing]
        g = adjoints[i]
        gradient = 0.0 if g is None else (float(g[k]) if is_array(g) else float(g))
        result.inputs.append(InputPaths(graph.label(s), s, gradient, counts[s], paths, s in best))
    if wanted is not None and not starts:
        name, index = wanted
        result.inputs.append(InputPaths(element, -1, 0.0, 0, [], False))
    return result


class _ElementSweep:
    """What the paths renderers read of a sweep, for one output element."""

    def __init__(self, problem: Problem, vals: list, out: int, index: tuple):
        self.output = element_label(problem.output, index)
        self.value = _at(vals[out], index)
        self.values = vals
        self.tape = problem.tape
