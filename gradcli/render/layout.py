"""A layered (Sugiyama-style) layout of a directed acyclic graph, left to right, in pure Python.

gradcli draws its own pictures (``--format svg`` and the HTML page) so that they
need no Graphviz.  The steps are the classic ones (Sugiyama, Tagawa and Toda 1981;
Gansner et al. 1993, the paper behind Graphviz's ``dot``), each kept simple:

1. **Layers** by the longest path from the sources, so every edge points right.
   A source that is not pinned to the left (a constant drawn beside its use) is
   pulled right, to just before its first successor.
2. **Dummy nodes** on every edge that spans several layers, so that a long edge
   is routed through the gaps between the nodes of the layers it crosses.  An
   edge across more than ``MAX_SPAN`` layers (an input that a long program reads
   at every step) is drawn straight instead: its dummies would outnumber the
   nodes (a 1,000-step loop reading ``y`` at each step would need 500,000).
3. **Crossing reduction** by barycentre sweeps: each layer is sorted by the mean
   position of its neighbours in the layer before (sweeping right) or after
   (sweeping left), for a few rounds.  The order with the fewest crossings seen is kept; crossings
   between two layers are counted in O(E log V) with a Fenwick tree.
4. **Coordinates**: layers are columns as wide as their widest node; within a
   column, each node is pulled to the mean height of its neighbours, and the
   least-squares placement that keeps the column's order and gaps (no overlap) is
   found exactly by pooling adjacent violators (isotonic regression), in O(n).

Every step is a loop (nothing recurses) and ties are broken by node number, so
the same graph always gets the same picture.  benchmarks/bench_layout.py times
it on graphs of thousands of nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

SWEEPS = 4  # rounds of barycentre passes each way, at most (a round that finds nothing better stops them)
DUMMY_HEIGHT = 6.0  # the room a long edge takes where it passes a column
MAX_SPAN = 12  # an edge across more columns is drawn straight over them, without dummies


@dataclass
class Layout:
    """Where everything goes: node ``i``'s centre is ``(x[i], y[i])``; edge ``k`` runs through
    ``routes[k]`` (the source's right side, one point per column it crosses, the target's left side)."""

    x: list[float]
    y: list[float]
    layer: list[int]
    order: list[list[int]]  # per layer, the real nodes and dummies (numbers >= n) top to bottom
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    crossings: int  # crossings between adjacent layers, after reduction (edges drawn straight not counted)


def layers(n: int, edges: list[tuple[int, int]], pinned: set[int] | frozenset = frozenset()) -> list[int]:
    """Each node's layer: the longest path to it from a source; a source that is not ``pinned``
    moves right to one layer before its nearest successor.  ``edges`` must form no cycle."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for s, t in edges:
        succ[s].append(t)
        indegree[t] += 1
    layer = [0] * n
    ready = [v for v in range(n) if indegree[v] == 0]
    sources = list(ready)
    seen = 0
    while ready:
        v = ready.pop()
        seen += 1
        for t in succ[v]:
            if layer[v] + 1 > layer[t]:
                layer[t] = layer[v] + 1
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    if seen != n:
        raise ValueError("the graph has a cycle")
    for v in sources:
        if v not in pinned and succ[v]:
            layer[v] = min(layer[t] for t in succ[v]) - 1
    return layer


def crossings(links: list[tuple[int, int]]) -> int:
    """Crossings among links (upper position, lower position) from one layer to the next: the pairs
    whose ends are in opposite orders, counted by a Fenwick tree over the lower positions, O(E log V)."""
    pairs = sorted(links)
    size = max((b for _, b in pairs), default=0) + 1
    tree = [0] * (size + 1)
    total = 0
    for count, (_, b) in enumerate(pairs):  # earlier links (upper left of this one) landing right of b cross it
        i, at_most_b = b + 1, 0
        while i > 0:
            at_most_b += tree[i]
            i -= i & -i
        total += count - at_most_b
        i = b + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return total


def layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]], *,
           pinned: set[int] | frozenset = frozenset(), layer_gap: float = 60.0, node_gap: float = 18.0,
           margin: float = 12.0, max_span: int | None = None) -> Layout:
    """Place nodes of the given (width, height) ``sizes`` so that every edge points right.

    ``pinned``: sources kept in the first column (the inputs).  A sink that every other node reaches
    (the output) lands in the last column by itself.  ``max_span``: edges across more layers are routed
    straight (``MAX_SPAN`` by default).
    """
    span = MAX_SPAN if max_span is None else max_span
    n = len(sizes)
    layer = layers(n, edges, pinned)
    depth = max(layer, default=-1) + 1
    # Chains: each edge becomes links between consecutive layers, through dummies numbered from n.
    layer_of = list(layer)
    chain: list[list[int]] = []
    for s, t in edges:
        path = [s]
        if layer[t] - layer[s] <= span:
            for step in range(layer[s] + 1, layer[t]):
                path.append(len(layer_of))  # the next number after the nodes and the dummies so far
                layer_of.append(step)
        path.append(t)
        chain.append(path)
    total = len(layer_of)
    up: list[list[int]] = [[] for _ in range(total)]
    down: list[list[int]] = [[] for _ in range(total)]
    for path in chain:
        if layer_of[path[-1]] - layer_of[path[-2]] > 1:
            continue  # drawn straight: no link between adjacent layers to order or count
        for a, b in zip(path, path[1:]):
            down[a].append(b)
            up[b].append(a)
    order: list[list[int]] = [[] for _ in range(depth)]
    for v in _first_order(total, down, up, layer_of):
        order[layer_of[v]].append(v)
    order, crossings = _reduce_crossings(order, up, down)
    x, y = _coordinates(order, sizes, n, up, down, layer_gap, node_gap, margin)
    routes = []
    for path in chain:
        s, t = path[0], path[-1]
        points = [(x[s] + sizes[s][0] / 2, y[s])]
        points += [(x[d], y[d]) for d in path[1:-1]]
        points.append((x[t] - sizes[t][0] / 2, y[t]))
        routes.append(points)
    width = max((x[v] + sizes[v][0] / 2 for v in range(n)), default=0.0) + margin
    height = max((y[v] + _height(v, sizes, n) / 2 for v in range(total)), default=0.0) + margin
    return Layout(x[:n], y[:n], layer[:n], order, routes, width, height, crossings)


def _height(v: int, sizes, n: int) -> float:
    return sizes[v][1] if v < n else DUMMY_HEIGHT


def _first_order(total: int, down, up, layer_of) -> list[int]:
    """A first order within the layers: nodes as a depth-first walk from the sources meets them
    (an explicit stack), which keeps a chain's nodes at the same height."""
    seen = [False] * total
    result = []
    for start in range(total):
        if seen[start] or up[start]:
            continue
        stack = [start]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            result.append(v)
            stack.extend(reversed(down[v]))
    result += [v for v in range(total) if not seen[v]]
    return result


def _count(order, down) -> int:
    total = 0
    for k in range(len(order) - 1):
        lower = {v: i for i, v in enumerate(order[k + 1])}
        total += crossings([(i, lower[b]) for i, a in enumerate(order[k]) for b in down[a]])
    return total


def _reduce_crossings(order, up, down):
    """Barycentre sweeps right then left, ``SWEEPS`` times; the order with the fewest crossings wins."""
    best = [list(o) for o in order]
    best_count = _count(order, down)
    current = [list(o) for o in order]
    for _ in range(SWEEPS):
        if best_count == 0:
            break
        before = best_count
        for forward in (True, False):
            rng = range(1, len(current)) if forward else range(len(current) - 2, -1, -1)
            for k in rng:
                near = current[k - 1] if forward else current[k + 1]
                pos = {v: i for i, v in enumerate(near)}
                links = up if forward else down
                keyed = []
                for i, v in enumerate(current[k]):
                    ends = [pos[u] for u in links[v] if u in pos]
                    keyed.append((sum(ends) / len(ends) if ends else float(i), i, v))
                keyed.sort()
                current[k] = [v for _, _, v in keyed]
            count = _count(current, down)
            if count < best_count:
                best, best_count = [list(o) for o in current], count
        if best_count == before:
            break  # a round that found nothing better: the next would not either, nearly always
    return best, best_count


def _coordinates(order, sizes, n, up, down, layer_gap, node_gap, margin):
    total = sum(len(o) for o in order)
    x = [0.0] * total
    y = [0.0] * total
    left = margin
    for column in order:
        wide = max((sizes[v][0] if v < n else 0.0 for v in column), default=0.0)
        for v in column:
            x[v] = left + wide / 2
        left += wide + layer_gap
    for column in order:  # stacked, as a start
        top = margin
        for v in column:
            h = _height(v, sizes, n)
            y[v] = top + h / 2
            top += h + node_gap
    for sweep in range(2 * SWEEPS):
        forward = sweep % 2 == 0
        columns = order if forward else order[::-1]
        for column in columns:
            wanted = []
            for v in column:
                near = (up[v] if forward else down[v]) or (down[v] if forward else up[v])
                wanted.append(sum(y[u] for u in near) / len(near) if near else y[v])
            for v, value in zip(column, _place(wanted, [_height(v, sizes, n) for v in column], node_gap)):
                y[v] = value
    low = min(((y[v] - _height(v, sizes, n) / 2) for v in range(total)), default=margin)
    for v in range(total):
        y[v] += margin - low
    return x, y


def _place(wanted: list[float], heights: list[float], gap: float) -> list[float]:
    """The positions closest to ``wanted`` (least squares) that keep the order and ``gap`` between
    boxes: with offsets s_i (each box's least distance from the first), z_i = y_i - s_i must not
    decrease, an isotonic regression solved by pooling adjacent violators."""
    offsets = [0.0]
    for i in range(1, len(wanted)):
        offsets.append(offsets[-1] + (heights[i - 1] + heights[i]) / 2 + gap)
    blocks: list[list[float]] = []  # [mean, count]
    for w, s in zip(wanted, offsets):
        blocks.append([w - s, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            prev = blocks[-1]
            prev[0] = (prev[0] * prev[1] + mean * count) / (prev[1] + count)
            prev[1] += count
    z = [mean for mean, count in blocks for _ in range(int(count))]
    return [zi + s for zi, s in zip(z, offsets)]
