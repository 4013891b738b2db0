"""derive and hessian on a 10,000-statement chain, whole process, beside eval of the same chain.

Goals: `gradcli derive` and `gradcli hessian` of a 10,000-statement chain each
under 2 s (whole process), and the derived program's size linear in the
original's.  Run it with the interpreter of a venv where gradcli is installed:

    .venv/bin/python benchmarks/bench_derive.py [REPEATS]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # programs.py: the generators the tests use

from programs import chain  # noqa: E402
from timing import gradcli_command, medians  # noqa: E402

STATEMENTS = 10_000


def derived_sizes(gradcli: list[str], path: Path) -> list[tuple[int, int, int]]:
    """(statements in, lines out, bytes out) for chains of 1,000 to 10,000 statements."""
    import subprocess

    rows = []
    for statements in (1_000, 2_500, 5_000, 10_000):
        path.write_text(chain(4 * statements))
        out = subprocess.run(gradcli + ["derive", "-f", str(path)], capture_output=True, text=True,
                             check=True).stdout
        rows.append((statements, out.count("\n"), len(out.encode())))
    return rows


def main(repeats: int = 5) -> None:
    gradcli = gradcli_command()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chain.grad"
        path.write_text(chain(4 * STATEMENTS))
        f = ["-f", str(path)]
        commands = {
            "eval --json (baseline)": gradcli + ["eval", *f, "x=0.5", "--json"],
            "derive": gradcli + ["derive", *f],
            "derive --json (with closed forms)": gradcli + ["derive", *f, "--json"],
            "hessian --json": gradcli + ["hessian", *f, "x=0.5", "--json"],
        }
        results = medians(commands, repeats)
        sizes = derived_sizes(gradcli, Path(tmp) / "sizes.grad")
    print(f"chain of {STATEMENTS:,} statements (t_i = sin(t_i-1) * 0.999 + t_i-2), "
          f"whole process, median of {repeats}")
    for name, (seconds, peak) in results.items():
        print(f"  {name:<36} {seconds:6.2f} s   peak {peak:5.0f} MB")
    print("derived program size (gradcli derive):")
    for statements, lines, size in sizes:
        print(f"  {statements:>6,} statements -> {lines:>6,} lines, {size / 1e3:7.1f} KB "
              f"({lines / statements:.2f} lines a statement)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
