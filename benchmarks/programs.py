"""Program generators shared by the benchmarks (and usable from tests)."""

from __future__ import annotations


def chain(n_nodes: int) -> str:
    """A chain of statements, each adding 4 tape nodes: t{i} = sin(t{i-1}) * 0.999 + t{i-2}.

    The text is about 30 bytes a statement, 7.5 bytes a node: the shape of a
    hand-written program with named intermediates.
    """
    statements = max(2, n_nodes // 4)
    lines = ["t0 = x", "t1 = x*x"]
    lines += [f"t{i} = sin(t{i - 1}) * 0.999 + t{i - 2}" for i in range(2, statements)]
    return "\n".join(lines) + "\n"
