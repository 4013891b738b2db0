"""explain --paths and eval --mode paths: Bauer's formula against the reverse sweep and brute force."""

import math
import random
import re

import pytest

from conftest import SAMPLES, assert_error, run, run_json
from programs import ladder
from gradcli.autodiff.scalar_plan import scalar_values, scalar_adjoints
from gradcli.core.tape import INPUT, OPERATION
from gradcli.core.ops import SCALAR_OPS
from gradcli.analyses.paths import PATH_LIMIT, explain_paths, path_sum_gradient
from gradcli.autodiff.loading import load

NG = "u = b*c; v = a + u; J = 3*v"
BAYDIN = "y = log(x1) + x1*x2 - sin(x2)"
ALL = 10**9  # a --max-paths that lists everything


def squarings(n: int) -> str:
    return "\n".join(["u1 = x*x"] + [f"u{k + 1} = u{k}*u{k}" for k in range(1, n)])


def explain_json(*args):
    return run_json("explain", "--paths", *args, "--json")


def route(path):
    return [(n, p) for n, p in zip(path["nodes"], path["partials"])]


# ---- the worked examples: Ng's chain and Baydin et al.'s trace ----

def test_ng_single_path():
    data = explain_json(NG, "a=5", "b=3", "c=2")
    b = data["inputs"]["b"]
    assert (data["output"], data["value"]) == ("J", 33.0)
    assert b["path_count"] == 1
    assert b["paths"] == [{"nodes": ["b", "u", "v", "J"], "partials": [2.0, 1.0, 3.0],
                           "formulas": ["c", "1", "3"], "product": 6.0}]
    assert b["gradient"] == 6.0 and b["omitted"] == {"count": 0, "sum": 0.0}
    assert {name: d["gradient"] for name, d in data["inputs"].items()} == {"a": 3.0, "b": 6.0, "c": 9.0}


def test_baydin_path_sums():
    data = explain_json(BAYDIN, "x1=2", "x2=5")
    x1, x2 = data["inputs"]["x1"], data["inputs"]["x2"]
    assert [p["nodes"] for p in x1["paths"]] == [["x1", "v1", "v3", "y"], ["x1", "v2", "v3", "y"]]
    assert [p["partials"] for p in x1["paths"]] == [[0.5, 1.0, 1.0], [5.0, 1.0, 1.0]]
    assert [p["product"] for p in x1["paths"]] == [0.5, 5.0]
    assert x1["gradient"] == 5.5 and x1["path_count"] == 2
    assert [p["nodes"] for p in x2["paths"]] == [["x2", "v2", "v3", "y"], ["x2", "v4", "y"]]
    assert x2["paths"][0]["partials"] == [2.0, 1.0, 1.0]
    assert x2["paths"][1]["partials"] == pytest.approx([0.2837, -1.0], abs=5e-5)
    assert [p["product"] for p in x2["paths"]] == pytest.approx([2.0, -0.2837], abs=5e-5)
    assert x2["gradient"] == pytest.approx(1.7163, abs=5e-5)
    assert sum(p["product"] for p in x2["paths"]) == pytest.approx(x2["gradient"], rel=1e-15)


def test_x_times_x_has_two_paths_each_with_partial_x():
    x = explain_json("y = x*x", "x=3")["inputs"]["x"]
    assert x["path_count"] == 2
    assert [route(p) for p in x["paths"]] == [[("x", 3.0)], [("x", 3.0)]]
    assert x["gradient"] == 6.0


def test_square_two_paths_sample():
    assert explain_json("-f", str(SAMPLES / "square_two_paths.grad"))["inputs"]["x"]["path_count"] == 2


# ---- random programs over the op table ----

def random_program(seed: int, statements: int = 10):
    """A program over random ops from OPS (operands inside each op's domain), its bindings."""
    rng = random.Random(seed)
    values = {f"x{i}": rng.choice([-1, 1]) * rng.uniform(0.3, 1.5) for i in (1, 2, 3)}
    lines = []
    ops = list(SCALAR_OPS.values())
    while len(lines) < statements:
        op = rng.choice(ops)
        arity = op.arity or rng.choice([2, 3])
        names = list(values)
        # favour recent nodes, and allow an operand twice (x*x)
        args = [names[-1 - min(int(rng.expovariate(0.5)), len(names) - 1)] for _ in range(arity)]
        vals = [values[a] for a in args]
        if op.domain and not op.domain(*vals):
            continue
        try:
            out = op.forward(*vals)
        except (ArithmeticError, ValueError):
            continue
        if not math.isfinite(out) or abs(out) > 1e3 or (op.kinks and op.kinks(*vals)):
            continue
        name = f"s{len(lines) + 1}"
        values[name] = out
        lines.append(f"{name} = {op.render(args)}")
    lines.append(f"f = s{statements} + s{statements - 1} + s{statements - 2}")  # more paths meet at f
    text = "\n".join(lines)
    used = [f"{n}={v!r}" for n, v in values.items() if n.startswith("x") and re.search(rf"\b{n}\b", text)]
    return text, used


def brute_force_paths(problem):
    """Every path from every input to the output, by a naive recursive walk over operands."""
    tape = problem.tape
    vals = scalar_values(tape, problem.input_values())
    paths = {name: [] for name in problem.wrt}

    def walk(index, suffix_nodes, suffix_partials):
        node = tape.nodes[index]
        if node.kind == INPUT and node.name in paths:
            paths[node.name].append(([index] + suffix_nodes, suffix_partials))
        if node.kind != OPERATION:
            return
        operands = [vals[a] for a in node.args]
        for j, a in enumerate(node.args):
            local = node.op.partial(j, operands, vals[index])
            walk(a, [index] + suffix_nodes, [local] + suffix_partials)

    walk(problem.output_index, [], [])
    return paths, vals


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_programs_path_sums_equal_reverse_sweep(seed):
    problem = load(*random_program(seed), of="f")
    expected, vals = brute_force_paths(problem)
    adjoints = scalar_adjoints(problem.tape, vals, problem.output_index)
    result = explain_paths(problem, max_paths=ALL)
    for item in result.inputs:
        brute = expected[item.name]
        assert item.path_count == len(brute)
        assert sorted((p.nodes, p.partials) for p in item.paths) == sorted(brute)
        assert math.fsum(p.product for p in item.paths) == pytest.approx(adjoints[item.index],
                                                                          rel=1e-9, abs=1e-12)
        for path in item.paths:
            assert path.product == pytest.approx(math.prod(path.partials), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_programs_mode_paths_equals_reverse(seed):
    problem = load(*random_program(seed), of="f")
    by_paths = path_sum_gradient(problem)
    by_reverse = {n: scalar_adjoints(problem.tape, by_paths.values, problem.output_index)[problem.tape.names[n]]
                  for n in problem.wrt}
    assert by_paths.mode == "paths"
    assert by_paths.gradient == pytest.approx(by_reverse, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [1, 3, 7])
def test_capped_listing_is_the_top_of_the_full_listing(seed, k):
    problem = load(*random_program(seed, statements=14), of="f")
    full = {item.name: item for item in explain_paths(problem, max_paths=ALL).inputs}
    for item in explain_paths(problem, max_paths=k).inputs:
        everything = full[item.name].paths
        ranked = sorted((abs(p.product) for p in everything), reverse=True)
        listed = [tuple(p.edges) for p in item.paths]
        assert len(listed) == min(k, len(everything)) == len(set(listed))
        assert item.capped == (len(everything) > k)
        if item.capped:  # the largest |product| first
            assert [abs(p.product) for p in item.paths] == ranked[:k]
        else:  # all of them, in enumeration order
            assert listed == [tuple(p.edges) for p in everything]
        assert set(listed) <= {tuple(p.edges) for p in everything}
        assert item.omitted_count == len(everything) - len(listed)
        omitted = math.fsum(p.product for p in everything) - math.fsum(p.product for p in item.paths)
        assert item.omitted_sum == pytest.approx(omitted, rel=1e-9, abs=1e-9)


def test_capped_ladder_listing_equals_the_sorted_full_listing():
    """Exact partials (powers of two), many ties: the order is |product|, then enumeration order."""
    problem = load(ladder(7), ["a0=1", "b0=0.75"])
    full = explain_paths(problem, max_paths=ALL).inputs
    capped = explain_paths(problem, max_paths=20).inputs
    for whole, top in zip(full, capped):
        assert whole.path_count == 2**7 and not whole.capped and top.capped
        ranked = sorted(whole.paths, key=lambda p: -abs(p.product))  # stable: ties keep enumeration order
        assert [p.edges for p in top.paths] == [p.edges for p in ranked[:20]]


# ---- exact counts ----

def test_64_layer_ladder_count_is_exact():
    data = explain_json(ladder(64), "a0=1", "b0=0.5", "--max-paths", "5")
    for name in ("a0", "b0"):
        item = data["inputs"][name]
        assert item["path_count"] == 2**64 and type(item["path_count"]) is int
        assert len(item["paths"]) == 5 and item["omitted"]["count"] == 2**64 - 5
    assert [p["product"] for p in data["inputs"]["a0"]["paths"]][0] == 1.0  # a0 -> a1 -> ... -> a64 -> y


def test_40_repeated_squarings_count_is_exact():
    data = explain_json(squarings(40), "x=1", "--max-paths", "20")
    x = data["inputs"]["x"]
    assert x["path_count"] == 2**40
    assert x["gradient"] == 2.0**40  # d(x^(2^40))/dx at x = 1
    assert [p["product"] for p in x["paths"]] == [1.0] * 20
    assert x["omitted"] == {"count": 2**40 - 20, "sum": 2.0**40 - 20}


def test_1000_layer_ladder_counts_and_lists_without_enumerating():
    problem = load(ladder(1000), ["a0=1", "b0=0.5"])
    a0 = explain_paths(problem, max_paths=20).inputs[0]
    assert a0.path_count == 2**1000
    assert len(a0.paths) == 20 and a0.paths[0].product == 1.0
    assert all(abs(p.product) >= abs(q.product) for p, q in zip(a0.paths, a0.paths[1:]))


def test_deep_chain_does_not_recurse():
    chain = "\n".join(["s1 = sin(x)"] + [f"s{i + 1} = 0.5*s{i} + 0.1" for i in range(1, 10000)])
    problem = load(chain, ["x=0.3"])
    vals = scalar_values(problem.tape, problem.input_values())
    expected = scalar_adjoints(problem.tape, vals, problem.output_index)[0]
    item = explain_paths(problem).inputs[0]
    assert item.path_count == 1 and len(item.paths[0].nodes) == 20000
    assert item.paths[0].product == pytest.approx(expected, rel=1e-12)
    assert path_sum_gradient(problem).gradient["x"] == pytest.approx(expected, rel=1e-12)


# ---- eval --mode paths ----

@pytest.mark.parametrize("args", [
    [NG, "a=5", "b=3", "c=2"],
    [BAYDIN, "x1=2", "x2=5"],
    ["y = x*x*x", "x=2"],
    ["-f", str(SAMPLES / "sigmoid_neuron.grad")],
    [ladder(10), "a0=1", "b0=2", "--wrt", "b0"],
    [squarings(12), "x=1.0001"],
])
def test_eval_mode_paths_equals_reverse(args):
    by_paths = run_json("eval", *args, "--mode", "paths", "--json")
    by_reverse = run_json("eval", *args, "--json")
    assert by_paths["mode"] == "paths"
    assert by_paths["gradient"] == pytest.approx(by_reverse["gradient"], rel=1e-12)


def test_eval_mode_paths_refuses_more_than_a_million_paths():
    result = assert_error(["eval", ladder(20), "a0=1", "b0=2", "--mode", "paths"], 2, "1048576", "--mode reverse")
    assert 2**20 > PATH_LIMIT
    assert result.err.count("\n") == 1  # one line
    error = run_json("eval", ladder(20), "a0=1", "b0=2", "--mode", "paths", "--json", code=2)["error"]
    assert error["kind"] == "too-many-paths"
    # --wrt on an input with few paths is fine: the limit is per input asked for
    assert run_json("eval", ladder(20) + "\nz = y + c*c", "a0=1", "b0=2", "c=3", "--mode", "paths", "--of", "z",
                    "--wrt", "c", "--json")["gradient"] == {"c": 6.0}


# ---- zero products, unreachable inputs ----

def test_max_gives_a_zero_product_path_that_is_listed():
    x = explain_json("y = max(x, z)", "x=1", "z=2")["inputs"]["x"]
    assert x["path_count"] == 1
    assert x["paths"] == [{"nodes": ["x", "y"], "partials": [0.0], "formulas": ["(1 - sign(y - x))/(1 - sign(y - x) + (1 - sign(y - z)))"],
                           "product": 0.0}]
    capped = explain_json("y = max(x, 2*x)", "x=1", "--max-paths", "1")["inputs"]["x"]
    assert [p["product"] for p in capped["paths"]] == [2.0]
    assert capped["omitted"] == {"count": 1, "sum": 0.0}
    both = explain_json("y = max(x, 2*x)", "x=1")["inputs"]["x"]
    assert sorted(p["product"] for p in both["paths"]) == [0.0, 2.0]


def test_input_that_does_not_reach_the_output():
    """u = b*c reads no a: a is listed with no path and gradient 0, asked for or not."""
    data = explain_json(NG, "a=5", "b=3", "c=2", "--of", "u")
    assert list(data["inputs"]) == ["a", "b", "c"]
    assert [data["inputs"][n]["gradient"] for n in ("a", "b", "c")] == [0.0, 2.0, 3.0]
    assert data["inputs"]["a"]["path_count"] == 0
    asked = run("explain", "--paths", NG, "a=5", "b=3", "c=2", "--of", "u", "--wrt", "a")
    assert asked.code == 0 and "no path to u: gradient 0" in asked.out


# ---- the command line ----

def test_rich_tree_shows_formulas_products_and_the_check():
    result = run("explain", "--paths", BAYDIN, "x1=2", "x2=5")
    assert result.code == 0
    out = result.out
    for text in ["∂v1/∂x1 = 1/x1 = 0.5", "∂v2/∂x1 = x2 = 5", "(v2 = x1*x2)", "∂v4/∂x2 = cos(x2) = 0.283662",
                 "product 0.5 × 1 × 1 = 0.5", "0.5 + 5 = 5.5 = the reverse sweep's dy/dx1",
                 "2 - 0.283662 = 1.71634 = the reverse sweep's dy/dx2", "Bauer's formula", "2 paths to y"]:
        assert text in out, text


def test_rich_tree_capped_and_huge_counts():
    out = run("explain", "--paths", ladder(64), "a0=1", "b0=0.5", "--max-paths", "2", "--wrt", "a0").out
    assert "18446744073709551616 (2^64) paths to y" in out
    assert "18446744073709551614 more paths, not listed" in out
    assert "b0 = " not in out


@pytest.mark.parametrize("args, shown, hidden", [
    (["--wrt", "x2"], ["x2 = 5: 2 paths"], ["x1 = 2:"]),
    (["--of", "p"], ["x1 = 2: 1 path to p", "x2 = 5: 1 path to p", "∂p/∂x1 = x2 = 5"], ["y =", "log"]),
])
def test_wrt_and_of(args, shown, hidden):
    out = run("explain", "--paths", "p = x1*x2; y = log(x1) + p - sin(x2)", "x1=2", "x2=5", *args).out
    assert all(s in out for s in shown) and not any(h in out for h in hidden)


def test_x_times_x_rich_names_the_operands():
    out = run("explain", "--paths", "y = x*x", "x=3").out
    assert "operand 1" in out and "operand 2" in out and "3 + 3 = 6" in out


@pytest.mark.parametrize("args, code", [
    (["y = log(x)", "x=-1"], 1),  # domain error
    (["y = x +", "x=1"], 2),  # syntax error
    (["y = x", "x=1", "--max-paths", "-1"], 2),
    (["y = x", "--wrt", "z", "x=1"], 2),
])
def test_exit_codes(args, code):
    assert run("explain", "--paths", *args).code == code


def test_output_that_is_an_input():
    x = explain_json("y = x*x", "x=3", "--of", "x")["inputs"]["x"]
    assert x["path_count"] == 1 and x["paths"] == [{"nodes": ["x"], "partials": [], "formulas": [],
                                                     "product": 1.0}]
