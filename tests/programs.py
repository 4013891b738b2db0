"""Program generators: the tests build their large programs here, and the benchmarks time the same ones.

They live in tests/ so that the suite needs nothing from benchmarks/; each benchmark puts tests/ on its path.
"""

from __future__ import annotations


def chain(n_nodes: int) -> str:
    """A chain of ``n_nodes // 4`` statements: t{i} = sin(t{i-1}) * 0.999 + t{i-2}.

    Each statement is 4 nodes of text (three operations and a constant; the tape
    holds the constant 0.999 once, so it has 3 nodes a statement).  The text is
    about 30 bytes a statement: the shape of a hand-written program with named
    intermediates.
    """
    statements = max(2, n_nodes // 4)
    lines = ["t0 = sin(x)", "t1 = x*x"]
    lines += [f"t{i} = sin(t{i - 1}) * 0.999 + t{i - 2}" for i in range(2, statements)]
    return "\n".join(lines) + "\n"


def ladder(layers: int) -> str:
    """Each layer's two nodes both feed both nodes of the next: 2^layers paths from a0 (and from b0) to y."""
    lines = []
    for i in range(layers):
        lines.append(f"a{i + 1} = a{i} + 0.5*b{i}")
        lines.append(f"b{i + 1} = 0.5*a{i} - b{i}")
    lines.append(f"y = a{layers} + b{layers}")
    return "\n".join(lines)


def chain_operations(n_ops: int) -> str:
    """The chain of ``chain`` with ``n_ops`` operations (3 a statement: sin, *, +; constants not counted)."""
    statements = max(2, (n_ops - 2) // 3 + 2)  # t0 and t1 have one operation each
    lines = ["t0 = sin(x)", "t1 = x*x"]
    lines += [f"t{i} = sin(t{i - 1}) * 0.999 + t{i - 2}" for i in range(2, statements)]
    return "\n".join(lines) + "\n"
