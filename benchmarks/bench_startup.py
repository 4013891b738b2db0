"""Start-up: `gradcli eval` on a one-line program, whole process, against Python's own start.

Goals: at most 120 ms with table output, at most 80 ms with --json.
Run it with the interpreter of a venv where gradcli is installed (pip install .),
so the installed script and its compiled modules are what is timed:

    .venv/bin/python benchmarks/bench_startup.py [REPEATS]
"""

from __future__ import annotations

import sys

from timing import gradcli_command, medians

PROGRAM = ["u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2"]


def main(repeats: int = 40) -> None:
    gradcli = gradcli_command()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "python -c 'import click, lark'": [sys.executable, "-c", "import click, lark"],
        "python -c 'import click, rich.table, rich.console'":
            [sys.executable, "-c", "import click, rich.table, rich.console"],
        "gradcli eval ... --json": gradcli + ["eval", *PROGRAM, "--json"],
        "gradcli eval ... (table)": gradcli + ["eval", *PROGRAM],
    }
    results = medians(commands, repeats, memory=False)
    base = results["python -c pass"][0]
    print(f"whole process, median of {repeats} interleaved runs ({' '.join(gradcli)})")
    for name, (seconds, _) in results.items():
        print(f"  {name:<52} {1000 * seconds:7.1f} ms   {seconds / base:5.1f}x python")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
