"""The gradient as a sum over paths (Bauer's formula): counting, listing and summing them.

The chain rule, written out path by path, says that d(output)/d(x) is the sum,
over every path from x to the output in the computational graph, of the
product of the local partials on the path's edges.  Only edges along which
gradient can flow count (their source depends on an input and their
destination reaches the output); an operand used twice (``x*x``) is two edges.

Everything here works on a ``PathGraph``: the tape's relevant edges with their
local partials, computed once from the forward values.  On it:

* ``counts`` gives the exact number of paths from each input to the output, by
  dynamic programming over the tape (Python integers: 2^1000 is exact);
* ``best_paths`` finds the k paths with the largest |product| without
  enumerating the others (a k-best dynamic program over the DAG);
* ``all_paths`` enumerates every path in a fixed order (edges by destination in
  tape order, then operand position), with an explicit stack;
* ``path_sum`` streams the sum of every path's product, never holding a path.

Nothing recurses, so tapes of 100,000 nodes work.  A listed path's product is
always multiplied from the output back to the input, the way the k-best program
builds it, so a path has bit-for-bit the same product whether it was found by
enumeration or by the k-best program.  (The streamed sum multiplies from the
input forward; its total may differ from the reverse sweep's in the last bits.)
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

from gradcli.analyses import passes
from gradcli.autodiff.sweeps import Plan
from gradcli.core.edges import local_partials
from gradcli.autodiff.array_sweeps import edge_vjp
from gradcli.core.values import Zero, add, norm_of, shape, size
from gradcli.support.errors import UsageError
from gradcli.support.gcpause import paused_gc
from gradcli.core.tape import OPERATION, Tape
from gradcli.autodiff.gradient import Gradient, evaluate
from gradcli.autodiff.problem import Problem, require_scalar_output
from gradcli.core.formulas import partial_formula, tensor_formula

# eval --mode paths refuses inputs with more paths than this.
PATH_LIMIT = 1_000_000
# explain --paths lists at most this many paths per input (--max-paths): each listed path is built,
# held and printed, edge by edge.
MAX_LISTED = 10_000
# ... and at most this many edges in all per input: N paths of length L hold N*L edges (each with its
# node and partial), so a deep graph lists fewer paths (1,000 of a 1,000-layer ladder's 2,001-edge paths).
MAX_LISTED_EDGES = 2_000_000


class Edge(NamedTuple):
    """``src`` is operand ``operand`` of ``dst``; ``partial`` is d dst / d src at the forward values."""

    src: int
    dst: int
    operand: int
    partial: float


class PathGraph:
    """The edges that carry gradient to ``output``, with their local partials.

    ``edges[e]`` is an ``Edge``; ``out[v]`` lists the ids of the edges leaving
    ``v``, ordered by destination (tape order) and then operand position: the
    order in which paths are enumerated.
    """

    def __init__(self, tape: Tape, values: list[float], output: int, tensor: bool = False):
        nodes = tape.nodes
        self.tape = tape
        self.values = values
        self.output = output
        # An array program: an edge's rule is a VJP (no scalar partial), and a path's
        # contribution is the chain of VJPs applied to the output's seed.
        self.tensor = tensor
        req = tape.requires_grad()
        reach = [False] * len(nodes)  # reaches the output along edges that carry gradient
        reach[output] = True
        for i in range(output, -1, -1):
            node = nodes[i]
            if reach[i] and node.kind == OPERATION:
                for a in node.args:
                    if req[a]:
                        reach[a] = True
        self.reach = reach
        self.edges: list[Edge] = []
        self.out: list[list[int]] = [[] for _ in nodes]
        for i in range(output + 1):
            if not reach[i] or nodes[i].kind != OPERATION:
                continue
            edges = ((j, a, None) for j, a in enumerate(nodes[i].args) if req[a]) if tensor \
                else local_partials(tape, values, i, req)
            for j, a, local in edges:
                self.out[a].append(len(self.edges))
                self.edges.append(Edge(a, i, j, local))
        self._formulas: dict[int, str] = {}
        self._collapsed_cache = None

    def counts(self, starts: list[int]) -> dict[int, int]:
        """The exact number of paths from each start node to the output (0 if it does not reach it).

        Dynamic programming from the output back over the tape: a node's count
        is the sum of its out-edges' destinations' counts.  Counts are Python
        integers (a 1,000-layer ladder has 2^1000 paths); a node's count is
        dropped once every edge into it has used it, so a deep ladder does not
        hold thousands of 1,000-digit integers.
        """
        edges, out, output = self.edges, self.out, self.output
        pending = [0] * len(out)
        for edge in edges:
            pending[edge.dst] += 1
        keep = [False] * len(out)
        for s in starts:
            keep[s] = True
        count: list[int] = [0] * len(out)
        count[output] = 1
        for v in range(output - 1, -1, -1):
            if not out[v]:
                continue
            total = 0
            for e in out[v]:
                dst = edges[e].dst
                total += count[dst]
                pending[dst] -= 1
                if not pending[dst] and not keep[dst]:
                    count[dst] = 0
            count[v] = total
        return {s: count[s] for s in starts}

    def longest(self, starts: list[int]) -> dict[int, int]:
        """The most edges on a path from each start node to the output (0 if it does not reach it):
        one loop back over the tape, as ``counts``."""
        edges, out, output = self.edges, self.out, self.output
        length = [0] * len(out)
        for v in range(output - 1, -1, -1):
            if out[v]:
                length[v] = 1 + max(length[edges[e].dst] for e in out[v])
        return {s: length[s] for s in starts}

    def formula(self, e: int) -> str:
        """The local partial on edge ``e`` as text, over the operands' labels (``1/x1``)."""
        text = self._formulas.get(e)
        if text is None:
            edge = self.edges[e]
            nodes = self.tape.nodes
            node = nodes[edge.dst]
            labels = [nodes[a].label for a in node.args]
            text = (tensor_formula(node.op, edge.operand, labels, node.label,
                                           f"{self.tape.adjoint_prefix()}{node.label}", node.params,
                                           [shape(self.values[a]) for a in node.args]) if self.tensor
                    else partial_formula(node.op, edge.operand, labels, node.label))
            self._formulas[e] = text
        return text

    def product(self, path_edges: list[int]) -> float:
        """A path's product, multiplied from the output back to the input.

        On arrays, the path's contribution: the output's seed handed back edge by edge
        through each edge's VJP alone (an array of the input's shape).
        """
        edges = self.edges
        if self.tensor:
            return self._vjp_chain(path_edges)
        prod = 1.0
        for e in reversed(path_edges):
            prod = edges[e].partial * prod
        return prod

    def total(self, start: int):
        """The sum of every path's product (streamed) or, on arrays, of every path's contribution."""
        if not self.tensor:
            return self.path_sum(start)
        total = Zero(shape(self.values[start]))
        for edges in self.all_paths(start):
            total = add(total, self.product(edges))
        return total

    def _vjp_chain(self, path_edges: list[int]):
        g = 1.0
        for e in reversed(path_edges):
            edge = self.edges[e]
            g = edge_vjp(self.tape.nodes[edge.dst], edge.operand, g, self.values)
        return g

    def label(self, v: int) -> str:
        """A node's label as the views print it."""
        return self.tape.nodes[v].label

    def where(self, e: int) -> str:
        """What computes edge ``e``'s destination: ``y = u*u, operand 2``."""
        edge = self.edges[e]
        node = self.tape.nodes[edge.dst]
        text = f"{node.label} = {self.tape.definition(edge.dst)}"
        if node.args.count(edge.src) > 1:
            text += f", operand {edge.operand + 1}"
        if node.op.cuts:
            text += ": cut, no gradient flows back through stop_gradient"
        return text

    def all_paths(self, start: int):
        """Yield every path from ``start`` to the output as a list of edge ids, in enumeration order."""
        out, edges, output = self.out, self.edges, self.output
        if start == output:
            yield []
            return
        if not out[start]:
            return
        path: list[int] = []
        stack = [iter(out[start])]  # one iterator over out-edges per node on the current path
        while stack:
            e = next(stack[-1], None)
            if e is None:
                stack.pop()
                if path:
                    path.pop()
                continue
            path.append(e)
            dst = edges[e].dst
            if dst == output:
                yield list(path)
                path.pop()
            else:
                stack.append(iter(out[dst]))

    def best_paths(self, starts: list[int], k: int) -> dict[int, list[list[int]]]:
        """For each start node, its ``k`` paths with the largest |product|, largest first.

        A k-best dynamic program over the DAG, from the output back: each node
        keeps its top ``k`` partial paths to the output as (product, rank of the
        first edge, position of the rest in the next node's list).  Paths are
        ordered by |product| descending, ties by the rank of the first edge and
        then by the order of the rest at the next node; this order agrees along
        every edge, so each node's top k are built from its successors' top k.
        Time O(E k log k), never enumerating paths.
        """
        out, edges, output = self.out, self.edges, self.output
        if k <= 0:
            return {s: [] for s in starts}
        wanted = [False] * len(out)  # nodes reachable from a start
        pending = [0] * len(out)  # edges into each node from wanted nodes not yet processed
        for s in starts:
            wanted[s] = True
        lo = min(starts)
        for v in range(lo, output):
            if wanted[v]:
                for e in out[v]:
                    dst = edges[e].dst
                    wanted[dst] = True
                    pending[dst] += 1
        # prods[v]: the products of v's top paths, best first (dropped once no node needs them);
        # links[v]: for each, rank of its first edge * k + position of the rest in the next node's list
        prods: list[list[float] | None] = [None] * len(out)
        links: list[array | None] = [None] * len(out)
        prods[output] = [1.0]
        for v in range(output - 1, lo - 1, -1):
            if not wanted[v] or not out[v]:
                continue
            cands: list[tuple[float, int, float]] = []
            for rank, e in enumerate(out[v]):
                edge = edges[e]
                p, dst, base = edge.partial, edge.dst, rank * k
                cands += [(-abs(p * s), base + pos, p * s) for pos, s in enumerate(prods[dst])]
                pending[dst] -= 1
                if not pending[dst] and dst != output:
                    prods[dst] = None
            cands.sort()
            del cands[k:]
            prods[v] = [c[2] for c in cands]
            links[v] = array("q", [c[1] for c in cands])
        result = {}
        for s in starts:
            paths = []
            for pos in range(len(links[s] or ())):
                path, v, p = [], s, pos
                while v != output:
                    rank, p = divmod(links[v][p], k)
                    e = out[v][rank]
                    path.append(e)
                    v = edges[e].dst
                paths.append(path)
            result[s] = paths
        return result

    def path_sum(self, start: int) -> float:
        """The sum of every path's product from ``start``, streamed by an iterative depth-first walk.

        Runs of nodes with a single relevant out-edge are first collapsed into
        one edge carrying the product of their partials, then each path costs
        about one push and one pop.  Paths are never held; memory is the stack.
        """
        inner, term = self._collapsed()
        output = self.output
        if start == output:
            return 1.0
        total = 0.0
        stack = [(start, 1.0)]
        pop, push = stack.pop, stack.append
        while stack:
            v, prod = pop()
            for p in term[v]:
                total += prod * p
            for c, p in inner[v]:
                push((c, prod * p))
        return total

    def _collapsed(self):
        """Per node: (next branching node, partial product) pairs, and partial products ending at the output."""
        if self._collapsed_cache is not None:
            return self._collapsed_cache
        out, edges, output = self.out, self.edges, self.output
        n = len(out)
        # jump[v] for a node with one out-edge: where its chain of single out-edges ends, and the product
        jump: list[tuple[int, float] | None] = [None] * n
        for v in range(output - 1, -1, -1):
            if len(out[v]) == 1:
                edge = edges[out[v][0]]
                c, p = edge.dst, edge.partial
                if c != output and jump[c] is not None:
                    c, m = jump[c]
                    p = p * m
                jump[v] = (c, p)
        inner: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        term: list[list[float]] = [[] for _ in range(n)]
        for v in range(output):
            for e in out[v]:
                edge = edges[e]
                c, p = edge.dst, edge.partial
                if c != output and jump[c] is not None:
                    c, m = jump[c]
                    p = p * m
                if c == output:
                    term[v].append(p)
                else:
                    inner[v].append((c, p))
        self._collapsed_cache = (inner, term)
        return inner, term


@dataclass
class Path:
    """One path from an input to the output: its edges (ids into the graph's edge list) and product."""

    edges: list[int]
    nodes: list[int]  # node indices, input first, output last
    partials: list[float]
    product: float


@dataclass
class InputPaths:
    """Everything ``explain --paths`` says about one input."""

    name: str
    index: int
    gradient: float  # from the reverse sweep
    path_count: int  # exact
    paths: list[Path]  # the listed paths
    capped: bool  # True when only the largest |product| paths are listed

    @property
    def listed_sum(self) -> float:
        return sum(p.product for p in self.paths)

    @property
    def omitted_count(self) -> int:
        return self.path_count - len(self.paths)

    @property
    def omitted_sum(self) -> float:
        """The omitted paths' sum: the reverse sweep's gradient minus the listed sum."""
        return self.gradient - self.listed_sum if self.omitted_count else 0.0


@dataclass
class PathsResult:
    sweep: Gradient  # the forward values and the reverse sweep the path sums are checked against
    graph: PathGraph
    inputs: list[InputPaths] = field(default_factory=list)
    max_paths: int = 20
    tensor: bool = False  # contributions are arrays (VJP chains), ranked by their norm
    searched: int | None = None  # tensor-level: how many paths an input's listing was chosen from, at most


def _path(graph: PathGraph, start: int, path_edges: list[int]) -> Path:
    edges = graph.edges
    return Path(path_edges, [start] + [edges[e].dst for e in path_edges],
                [edges[e].partial for e in path_edges], graph.product(path_edges))


def check_listing(names: list[str], counts: list[int], lengths: list[int], max_paths: int) -> None:
    """A listing too large for one input is refused before any path is built: more than MAX_LISTED
    paths, or paths of up to ``length`` edges whose N would hold more than MAX_LISTED_EDGES edges.
    ``--max-paths`` above an input's count is fine: the count is what is listed."""
    for name, count, length in zip(names, counts, lengths):
        listed = min(count, max_paths)
        if listed > MAX_LISTED:
            raise UsageError(f"--max-paths {max_paths:,}: {name} has more than {MAX_LISTED:,} paths, and at most "
                             f"{MAX_LISTED:,} are listed per input; ask for fewer (the count and the sum of every "
                             "path are shown whatever the listing)", kind="limit")
        if listed * length > MAX_LISTED_EDGES:
            raise UsageError(f"--max-paths {max_paths:,}: {name}'s paths are up to {length:,} edges long, and "
                             f"{listed:,} of them would hold up to {listed * length:,} edges, more than the "
                             f"{MAX_LISTED_EDGES:,} listed per input; ask for at most "
                             f"{MAX_LISTED_EDGES // length:,}", kind="limit")


def explain_paths(problem: Problem, max_paths: int = 20) -> PathsResult:
    """Count every input's paths to the output and list them (or the ``max_paths`` largest)."""
    with paused_gc():
        return _explain_paths(problem, max_paths)


def _explain_paths(problem: Problem, max_paths: int) -> PathsResult:
    """One body for numbers and arrays; only the listing differs: the k largest |products| (scalar
    partials), or the largest contributions by norm (arrays, whose rules are VJPs)."""
    tape = problem.tape
    sweep = evaluate(problem)
    tensor = passes.has_arrays(problem)
    graph = PathGraph(tape, sweep.values, problem.output_index, tensor=tensor)
    starts = [tape.names[name] for name in problem.wrt]
    counts = graph.counts(starts)
    result = PathsResult(sweep, graph, max_paths=max_paths, tensor=tensor,
                         searched=ARRAY_SEARCH if tensor else None)
    listed = (_by_norm if tensor else _by_product)(graph, problem.wrt, starts, counts, max_paths)
    gradient = sweep.gradient
    for name, s in zip(problem.wrt, starts):
        paths, capped = listed[s]
        result.inputs.append(InputPaths(name, s, gradient[name], counts[s], paths, capped))
    return result


def _by_product(graph: PathGraph, names: list[str], starts: list[int], counts: list[int],
                max_paths: int) -> dict[int, tuple[list[Path], bool]]:
    """Each input's paths and whether they were capped: all of them, or the ``max_paths`` with the
    largest |product| (the k-best program, never enumerating the others)."""
    lengths = graph.longest(starts)
    check_listing(names, [counts[s] for s in starts], [lengths[s] for s in starts], max_paths)
    capped = [s for s in starts if counts[s] > max_paths]
    best = graph.best_paths(capped, max_paths) if capped else {}
    return {s: ([_path(graph, s, p) for p in (best[s] if s in best else graph.all_paths(s))], s in best)
            for s in starts}


ARRAY_SEARCH = 10_000  # on arrays, the largest contributions are chosen among this many paths


def _by_norm(graph: PathGraph, names: list[str], starts: list[int], counts: list[int],
             max_paths: int) -> dict[int, tuple[list[Path], bool]]:
    """Paths at the array level: each path's contribution is the chain of VJPs along it, applied to
    the output's seed (an array of the input's shape); the contributions sum to the gradient.

    Counts are exact.  The listing is the ``max_paths`` contributions with the largest norm,
    chosen among the first ``ARRAY_SEARCH`` paths of each input (the k-best program of scalar
    paths ranks products, which norms of arrays are not); the omitted remainder is the gradient
    minus the listed sum.
    """
    listed = {}
    for name, s in zip(names, starts):
        _check_held(name, min(counts[s], max_paths, ARRAY_SEARCH), size(graph.values[s]))
        kept: list = []  # the max_paths largest norms so far: (norm, -k, path), a min-heap
        for k, edges in enumerate(graph.all_paths(s)):
            if k == ARRAY_SEARCH or max_paths == 0:
                break
            contribution = graph.product(edges)
            entry = (norm_of(contribution), -k, Path(edges, [s] + [graph.edges[e].dst for e in edges], [],
                                                      contribution))
            if len(kept) < max_paths:
                heapq.heappush(kept, entry)
            elif entry[:2] > kept[0][:2]:
                heapq.heapreplace(kept, entry)
        capped = counts[s] > max_paths
        # largest norm first, ties in enumeration order (without a cap: enumeration order)
        order = (lambda e: (-e[0], -e[1])) if capped else (lambda e: -e[1])
        listed[s] = ([entry[2] for entry in sorted(kept, key=order)], capped)
    return listed


def _check_held(name: str, paths: int, elements: int) -> None:
    """The listed contributions are arrays of the input's shape, all held: bounded by the element limit."""
    from gradcli.support.limits import LimitError, limit_text, over_limit, size_text

    if over_limit(paths * elements):
        raise LimitError(f"--max-paths: {paths:,} contributions of {name} ({elements:,} elements each) would hold "
                         f"{size_text(paths * elements)}; {limit_text()}, or ask for fewer paths")


def too_many_paths(name: str, count: int, output: str) -> UsageError:
    return UsageError(f"--mode paths: {name} has {count_text(count)} paths to {output}, more than the "
                      f"{PATH_LIMIT:,} it will enumerate; --mode reverse gives the same gradient in one sweep",
                      kind="too-many-paths")


def count_text(count: int) -> str:
    """An exact path count, with its power of two when it is one (``18446744073709551616 (2^64)``)."""
    if count >= 1024 and count & (count - 1) == 0:
        return f"{count} (2^{count.bit_length() - 1})"
    return str(count)


def path_sum_gradient(problem: Problem) -> Gradient:
    """``eval --mode paths``: every input's gradient as the streamed sum of its path products."""
    with paused_gc():
        return _path_sum_gradient(problem)


def _path_sum_gradient(problem: Problem) -> Gradient:
    """One body for numbers and arrays, each input's gradient the total of its paths (``PathGraph.total``)."""
    tape = problem.tape
    output = problem.output_index
    sweep = Plan.of(problem)
    values = sweep.values(problem.input_values())
    require_scalar_output(problem, values)
    graph = PathGraph(tape, values, output, tensor=passes.has_arrays(problem))
    starts = [tape.names[name] for name in problem.wrt]
    counts = graph.counts(starts)
    for name, s in zip(problem.wrt, starts):
        if counts[s] > PATH_LIMIT:
            raise too_many_paths(name, counts[s], problem.output)
    # the intermediates' adjoints (eval --all); without them the array sweep lets each go
    adjoints = list(sweep.reverse(values, output, wrt=None if problem.intermediates else []))
    for s in starts:
        adjoints[s] = graph.total(s) if counts[s] else Zero(shape(values[s]))  # no path: the symbolic zero
    return Gradient(problem, values, adjoints, mode="paths", passes=sum(counts[s] for s in starts),
                    extra={"path_count": {name: counts[s] for name, s in zip(problem.wrt, starts)}})
