"""Paths element by element: the scalar graph of one output element's cone, and Bauer's sum on it.

``explain --paths --element 'W[0,1]'`` writes out the gradient of a single
element, as one does by hand before vectorising: the array program is
unrolled, for the cone of one output element only, into a graph whose nodes
are elements (``q[0]``, ``W[0,1]``) and whose edges carry scalar partials
(``∂q[0]/∂W[0,1] = x[1] = 0.4``).  A matmul becomes its sums of products there,
a reduction one edge per element it reads.  Each op's element rule is
``ArrayRule.elements`` (core/array_rules.py); an elementwise op's is its scalar
partial, with numpy's broadcasting deciding which operand element it reads.

The element graph is a ``PathGraph`` (nodes numbered in topological order), so
counts stay exact and the largest paths come from the k-best program, without
enumeration.  Nothing recurses: the cone is found by one backward pass over the
tape.
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, field

from gradcli.analyses.paths import InputPaths, Path, PathGraph, check_listing
from gradcli.autodiff.sweeps import Plan
from gradcli.autodiff.problem import Problem
from gradcli.core.tape import CONST, OPERATION
from gradcli.core.values import element, element_label, flat_index, is_zero, shape, shape_text
from gradcli.support.errors import UsageError
from gradcli.support.gcpause import paused_gc
from gradcli.support.limits import LimitError
from gradcli.core.formulas import partial_formula

ElementEdge = namedtuple("ElementEdge", "src dst operand partial")  # like paths.Edge, lighter for 10^5 edges

EVERY_ELEMENT = 50  # without --element, every input element is explained, up to this many

_ELEMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*\])?\s*")


def split_element(text: str, option: str) -> tuple[str, tuple[int, ...] | None]:
    """``'W[0,1]'`` -> ``('W', (0, 1))``; ``'q'`` -> ``('q', None)``.  Anything else is a usage error."""
    match = _ELEMENT.fullmatch(text)
    if match is None:
        raise UsageError(f"{option} {text}: write a name and the element's indices, like W[0,1] or q[0]")
    indices = match.group(2)
    return match.group(1), (tuple(int(i) for i in indices.split(",")) if indices is not None else None)


def _checked_index(option: str, name: str, index: tuple[int, ...], s: tuple) -> tuple[int, ...]:
    if not s:
        raise UsageError(f"{option} {element_label(name, index)}: {name} is a number, not an array "
                         f"(write {option} {name})")
    if index is None or len(index) != len(s) or any(not -n <= i < n for i, n in zip(index, s)):
        example = element_label(name, tuple(0 for _ in s))
        given = name if index is None else element_label(name, index)
        raise UsageError(f"{option} {given}: {name} has shape {shape_text(s)}: "
                         f"give {len(s)} {'index' if len(s) == 1 else 'indices'} in range, like {example}")
    return tuple(i % n for i, n in zip(index, s))


def _ravel(index: tuple, s: tuple) -> int:
    k = 0
    for i, n in zip(index, s):
        k = k * n + i
    return k


def _broadcast_index(k: tuple, s: tuple) -> tuple:
    """The element of an operand of shape ``s`` that an elementwise result's element ``k`` reads."""
    lead = len(k) - len(s)
    return tuple(0 if n == 1 else k[lead + d] for d, n in enumerate(s))


def element_rule(node, k: tuple, ans, args: list, label=None) -> list:
    """(j, index, partial, formula) for each operand element that the node's element ``k`` reads."""
    op = node.op
    rule = op.array.elements if op.array is not None else None
    if rule is not None:
        return rule(node.params, k, ans, args, label)
    if not op.scalar:
        raise UsageError(f"--element: {op.symbol} is explained at the tensor level, not element by element "
                         f"(each element of its result depends on its operand's elements through the whole "
                         f"matrix): see explain --steps or explain --paths", kind="usage")
    scalars = [element(a, _broadcast_index(k, shape(a))) for a in args]
    out = element(ans, k)
    rows = []
    for j, a in enumerate(args):
        index = _broadcast_index(k, shape(a))
        formula = None
        if label is not None:
            formula = partial_formula(op, j, [label(m, _broadcast_index(k, shape(b))) for m, b in enumerate(args)],
                                 label(-1, k))
        rows.append((j, index, op.partial(j, scalars, out), formula))
    return rows


MAX_ELEMENT_EDGES = 1_000_000  # an element graph is Python objects: about 200 bytes an edge


def _too_many_element_edges(tape, i: int) -> LimitError:
    node = tape.nodes[i]
    return LimitError(f"the paths of single elements: the element graph has more than {MAX_ELEMENT_EDGES:,} "
                      f"edges by {node.label} = {tape.definition(i)}, each held as Python objects; explain "
                      "an element of a smaller array (--of q[i]), or use --paths without --element (its "
                      "paths are of whole arrays)", node.line, node.column, tape.source_line(node.line))


class ElementGraph(PathGraph):
    """The element-level graph of the cone of one output element, as a ``PathGraph``.

    ``keys[v]`` is element node v as (tape index, flat index of the element);
    nodes are numbered in (tape index, flat index) order, a topological order.
    """

    def __init__(self, tape, values: list, output: int, out_index: tuple):
        nodes = tape.nodes
        req = tape.requires_grad()
        self.tape, self.values, self.tensor = tape, values, False
        needed: dict[int, set[int]] = {output: {_ravel(out_index, shape(values[output]))}}
        raw: dict[tuple[int, int], list] = {}
        held = 0  # element edges so far: each is a few Python objects
        for i in range(output, -1, -1):
            want = needed.get(i)
            if not want or nodes[i].kind != OPERATION:
                continue
            node = nodes[i]
            args = [values[a] for a in node.args]
            s = shape(values[i])
            for f in sorted(want):
                rows = []
                for j, index, partial, _ in element_rule(node, flat_index(s, f), values[i], args):
                    a = node.args[j]
                    if req[a]:
                        fa = _ravel(index, shape(values[a]))
                        needed.setdefault(a, set()).add(fa)
                        rows.append((j, a, fa, partial))
                raw[(i, f)] = rows
                held += len(rows)
                if held > MAX_ELEMENT_EDGES:
                    raise _too_many_element_edges(tape, i)
        self.keys = sorted((i, f) for i, fs in needed.items() for f in fs)
        ids = {key: v for v, key in enumerate(self.keys)}
        self.ids = ids
        self.output = len(self.keys) - 1
        self.edges: list = []
        self.out: list[list[int]] = [[] for _ in self.keys]
        for v, key in enumerate(self.keys):
            for j, a, fa, partial in raw.get(key, ()):
                src = ids[(a, fa)]
                self.out[src].append(len(self.edges))
                self.edges.append(ElementEdge(src, v, j, float(partial)))
        self.reach = [True] * len(self.keys)
        self._formulas: dict[int, str] = {}
        self._collapsed_cache = None

    def label(self, v: int) -> str:
        i, f = self.keys[v]
        node = self.tape.nodes[i]
        return element_label(node.label, flat_index(shape(self.values[i]), f))

    def where(self, e: int) -> str:
        """The array node an element edge belongs to: ``q = W@x``, ``v2 = q*q, operand 2``."""
        edge = self.edges[e]
        i, src = self.keys[edge.dst][0], self.keys[edge.src][0]
        node = self.tape.nodes[i]
        text = f"{node.label} = {self.tape.definition(i)}"
        if node.args.count(src) > 1:
            text += f", operand {edge.operand + 1}"
        if node.op.cuts:
            text += ": cut, no gradient flows back through stop_gradient"
        return text

    def formula(self, e: int) -> str:
        """The edge's partial as text, over element labels (``x[1]``)."""
        text = self._formulas.get(e)
        if text is None:
            edge = self.edges[e]
            i, f = self.keys[edge.dst]
            a_key = self.keys[edge.src]
            node = self.tape.nodes[i]
            values, nodes = self.values, self.tape.nodes

            def label(j, index):
                n = i if j < 0 else node.args[j]
                if nodes[n].kind == CONST and shape(values[n]):  # an element of [1, 2]: its number
                    return repr(float(element(values[n], index)))
                return element_label(nodes[n].label, index)

            k = flat_index(shape(values[i]), f)
            want = flat_index(shape(values[a_key[0]]), a_key[1])
            rows = element_rule(node, k, values[i], [values[a] for a in node.args], label)
            text = next(r[3] for r in rows if r[0] == edge.operand and tuple(r[1]) == want)
            self._formulas[e] = text
        return text


@dataclass
class ElementPathsResult:
    output: str  # the output element's label: q[0], or f
    value: float
    graph: ElementGraph
    inputs: list[InputPaths] = field(default_factory=list)  # one per input element, named by its label
    max_paths: int = 20
    warnings: list[str] = field(default_factory=list)


def explain_element_paths(problem: Problem, elements: list[str], of_index: tuple | None,
                          max_paths: int = 20) -> ElementPathsResult:
    """Bauer's sum for single elements: ``elements`` ('W[0,1]') of the gradient of the output's
    element ``of_index`` (None: the output is a number).  With no ``elements``, every input element
    the output element reads."""
    with paused_gc():
        return _explain(problem, elements, of_index, max_paths)


def _explain(problem: Problem, elements: list[str], of_index, max_paths: int) -> ElementPathsResult:
    tape = problem.tape
    plan = Plan(tape, True)
    values = plan.values(problem.input_values())
    output = problem.output_index
    out_shape = shape(values[output])
    if of_index is None:
        if out_shape:
            raise UsageError(f"the output {problem.output} is an array of shape {shape_text(out_shape)}: "
                             f"pick one element with --of, like --of {element_label(problem.output, (0,) * len(out_shape))}")
        of_index = ()
    else:
        of_index = _checked_index("--of", problem.output, of_index, out_shape)
    starts = []
    for text in elements:
        name, index = split_element(text, "--element")
        if name not in problem.wrt:
            raise UsageError(f"--element {text}: '{name}' is not an input differentiated here "
                             f"(inputs: {', '.join(problem.wrt) or 'none'})")
        s = shape(values[tape.names[name]])
        index = _checked_index("--element", name, index, s) if index is not None or s else ()
        starts.append((name, index))
    seed = None
    if out_shape:
        from gradcli.core.values import np

        seed = np.zeros(out_shape)
        seed[of_index] = 1.0
    adjoints = plan.reverse(values, output, seed)  # the gradient, and its errors, first
    graph = ElementGraph(tape, values, output, of_index)
    if not elements:  # every input element in the cone, in input order
        wrt = {tape.names[name]: name for name in problem.wrt}
        starts = [(wrt[i], flat_index(shape(values[i]), f)) for i, f in graph.keys if i in wrt]
        if len(starts) > EVERY_ELEMENT:
            raise UsageError(f"{element_label(problem.output, of_index)} reads {len(starts):,} input elements, "
                             f"more than the {EVERY_ELEMENT} listed unasked: name the ones to explain with "
                             f"--element, like --element {element_label(*starts[0])}")
    result = ElementPathsResult(element_label(problem.output, of_index), element(values[output], of_index)
                                if out_shape else float(values[output]), graph, max_paths=max_paths)
    nodes = []
    for name, index in starts:
        i = tape.names[name]
        nodes.append(graph.ids.get((i, _ravel(index, shape(values[i])))))
    present = [v for v in nodes if v is not None]
    counts = graph.counts(present) if present else {}
    lengths = graph.longest(present) if present else {}
    check_listing([element_label(name, index) for (name, index), v in zip(starts, nodes) if v is not None],
                  [counts[v] for v in present], [lengths[v] for v in present], max_paths)
    capped = [v for v in present if counts[v] > max_paths]
    best = graph.best_paths(capped, max_paths) if capped else {}
    for (name, index), v in zip(starts, nodes):
        g = adjoints[tape.names[name]]
        gradient = 0.0 if is_zero(g) else element(g, index)
        label = element_label(name, index)
        if v is None:
            result.inputs.append(InputPaths(label, -1, gradient, 0, [], False))
            continue
        listing = best[v] if v in best else list(graph.all_paths(v))
        paths = [Path(p, [v] + [graph.edges[e].dst for e in p], [graph.edges[e].partial for e in p],
                      graph.product(p)) for p in listing]
        result.inputs.append(InputPaths(label, v, gradient, counts[v], paths, v in best))
    return result
