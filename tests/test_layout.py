"""The layered layout (gradcli/render/layout.py): edges point right, nothing overlaps, barycentre
sweeps reduce crossings (against a brute-force count and a brute-force optimum), the same graph
always gets the same picture, and long chains do not recurse."""

import itertools
import random
import sys

import pytest

from gradcli.render import layout as lay


def random_dag(seed: int, n: int, p: float = 0.15):
    rng = random.Random(seed)
    edges = [(s, t) for t in range(n) for s in range(t) if rng.random() < p]
    sizes = [(rng.uniform(20, 120), rng.uniform(16, 60)) for _ in range(n)]
    return sizes, edges


def brute_crossings(result: lay.Layout, edges) -> int:
    """Pairs of links between the same two adjacent columns whose ends are in opposite vertical orders,
    read from the routes' points (point j of an edge's route lies in column layer(source) + j)."""
    links = {}
    for (s, t), route in zip(edges, result.routes):
        if len(route) != result.layer[t] - result.layer[s] + 1:
            continue  # drawn straight over many columns: not a link between adjacent ones
        for j, ((_, y0), (_, y1)) in enumerate(zip(route, route[1:])):
            links.setdefault(result.layer[s] + j, []).append((y0, y1))
    count = 0
    for group in links.values():
        for (a0, a1), (b0, b1) in itertools.combinations(group, 2):
            if (a0 - b0) * (a1 - b1) < 0:
                count += 1
    return count


@pytest.mark.parametrize("seed", range(8))
def test_every_edge_points_right(seed):
    sizes, edges = random_dag(seed, 40)
    result = lay.layout(sizes, edges)
    for s, t in edges:
        assert result.layer[s] < result.layer[t]
        assert result.x[s] + sizes[s][0] / 2 < result.x[t] - sizes[t][0] / 2
        route = result.routes[edges.index((s, t))]
        assert all(a[0] < b[0] for a, b in zip(route, route[1:]))  # a long edge moves right at every point


@pytest.mark.parametrize("seed", range(8))
def test_no_two_boxes_overlap(seed):
    sizes, edges = random_dag(seed, 60)
    result = lay.layout(sizes, edges, node_gap=10)
    boxes = [(result.x[v] - w / 2, result.y[v] - h / 2, result.x[v] + w / 2, result.y[v] + h / 2)
             for v, (w, h) in enumerate(sizes)]
    for a, b in itertools.combinations(boxes, 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] + 10 - 1e-6 <= b[1] or b[3] + 10 - 1e-6 <= a[1]
        assert apart, (a, b)
    assert all(0 <= box[0] and box[2] <= result.width and 0 <= box[1] and box[3] <= result.height for box in boxes)


def test_sources_not_pinned_sit_beside_their_use_and_pinned_ones_left():
    # 0 -> 1 -> 2 -> 3; 4 (a constant) feeds 3; 5 (an input) feeds 3 too.
    edges = [(0, 1), (1, 2), (2, 3), (4, 3), (5, 3)]
    result = lay.layout([(30, 20)] * 6, edges, pinned={0, 5})
    assert result.layer == [0, 1, 2, 3, 2, 0]


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        lay.layers(3, [(0, 1), (1, 2), (2, 0)])


def test_crossings_are_reduced_to_the_optimum_on_a_known_case():
    """Two layers, drawn in the input's order, cross 8 times; the barycentre order crosses as few
    times as the best of all 4! x 4! orders (found by brute force)."""
    edges = [(0, 7), (1, 6), (2, 5), (3, 4), (0, 6)]
    first = lay.crossings([(s, t - 4) for s, t in edges])
    assert first == 8
    best = min(lay.crossings([(p[s], q[t - 4]) for s, t in edges])
               for p in itertools.permutations(range(4)) for q in itertools.permutations(range(4)))
    result = lay.layout([(20, 20)] * 8, edges, pinned={0, 1, 2, 3})
    assert result.crossings == best == brute_crossings(result, edges)


@pytest.mark.parametrize("seed", range(6))
def test_fenwick_count_agrees_with_the_pairs_and_sweeps_do_not_add_crossings(seed):
    sizes, edges = random_dag(seed, 50, 0.08)
    result = lay.layout(sizes, edges)
    assert result.crossings == brute_crossings(result, edges)
    saved = lay.SWEEPS
    try:
        lay.SWEEPS = 0
        unswept = lay.layout(sizes, edges)
    finally:
        lay.SWEEPS = saved
    assert result.crossings <= unswept.crossings


def test_sweeps_reduce_crossings_on_random_graphs():
    before = after = 0
    for seed in range(10):
        sizes, edges = random_dag(100 + seed, 40, 0.1)
        after += lay.layout(sizes, edges).crossings
        saved, lay.SWEEPS = lay.SWEEPS, 0
        try:
            before += lay.layout(sizes, edges).crossings
        finally:
            lay.SWEEPS = saved
    assert after < 0.8 * before


def test_deterministic():
    sizes, edges = random_dag(3, 80)
    assert lay.layout(sizes, edges) == lay.layout(list(sizes), list(edges))


def test_a_long_chain_and_a_wide_fan_do_not_recurse():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        chain = lay.layout([(40, 20)] * 3000, [(i, i + 1) for i in range(2999)])
        fan = lay.layout([(40, 20)] * 1001, [(i, 1000) for i in range(1000)] + [(0, i) for i in range(1, 1000)])
    finally:
        sys.setrecursionlimit(limit)
    assert chain.layer[-1] == 2999 and len(set(chain.y)) == 1  # a chain is drawn straight
    assert fan.layer[1000] == 2


def test_an_edge_across_many_columns_is_drawn_straight():
    """A chain of 30 with node 0 feeding every node: edges across more than MAX_SPAN columns get no dummies."""
    edges = [(i, i + 1) for i in range(29)] + [(0, i) for i in range(2, 30)]
    result = lay.layout([(30, 20)] * 30, edges, pinned={0})
    spans = {(s, t): len(route) for (s, t), route in zip(edges, result.routes)}
    assert spans[(0, 29)] == 2 and spans[(0, lay.MAX_SPAN)] == lay.MAX_SPAN + 1
    dummies = sum(len(column) for column in result.order) - 30
    assert dummies == sum(k - 1 for k in range(2, lay.MAX_SPAN + 1))
    assert result.crossings == brute_crossings(result, edges)
