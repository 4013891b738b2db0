"""The parser: gradcli's LALR driver against Lark's own parsers, on the same grammar.

Three ways to run grammar/gradcli.lark:
  1. Lark at run time, LALR with its table cache (cache=...), the transformer passed in;
  2. Lark's generated standalone parser (python -m lark.tools.standalone);
  3. gradcli: Lark's tables exported at build time, driven by gradcli/lang/lalr.py.

For each, the start-up cost (a fresh process: import and construct) and the
parse throughput on a generated chain program with the same transformer.

    .venv/bin/python benchmarks/bench_parse.py [NODES]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "grammar"))
sys.path.insert(0, str(ROOT / "tests"))  # programs.py: the generators the tests use

from build_parser import GRAMMAR, STARTS, lark_parser  # noqa: E402
from programs import chain  # noqa: E402
from timing import medians  # noqa: E402

from gradcli.support.gcpause import paused_gc  # noqa: E402
from gradcli.lang.lalr import Parser  # noqa: E402
from gradcli.lang.syntax import _Build  # noqa: E402


def make_standalone(folder: Path) -> Path:
    target = folder / "standalone_parser.py"
    starts = [arg for start in STARTS for arg in ("-s", start)]
    cmd = [sys.executable, "-m", "lark.tools.standalone", "-l", "basic", *starts, str(GRAMMAR), "-o", str(target)]
    subprocess.run(cmd, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True)
    return target


def parse_time(parse, text: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        with paused_gc():
            t = time.perf_counter()
            parse(text)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(nodes: int = 100_000) -> None:
    text = chain(nodes)
    tokens = sum(1 for t in Parser(_Build()).tokens(text))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_standalone(folder)
        cache = folder / "lark.cache"
        lark_parser(cache=str(cache))  # write the cache once
        grammar = str(GRAMMAR)
        startups = medians({
            "python -c pass": [sys.executable, "-c", "pass"],
            "Lark + LALR cache": [sys.executable, "-c",
                                  f"from lark import Lark; Lark(open({grammar!r}).read(), parser='lalr', "
                                  f"lexer='basic', start={STARTS!r}, cache={str(cache)!r})"],
            "Lark standalone": [sys.executable, "-c",
                                f"import sys; sys.path.insert(0, {tmp!r}); import standalone_parser as s; "
                                f"s.Lark_StandAlone()"],
            "gradcli tables + driver": [sys.executable, "-c", "import gradcli.lang.syntax"],
        }, repeats=20, memory=False)

        sys.path.insert(0, tmp)
        import standalone_parser

        class StandaloneBuild(_Build, standalone_parser.Transformer):
            pass

        standalone = standalone_parser.Lark_StandAlone(transformer=StandaloneBuild())
        lark = lark_parser(transformer=_Build(), cache=str(cache))
        ours = Parser(_Build())
        throughput = {
            "Lark + LALR cache": parse_time(lambda t: lark.parse(t, start="program"), text),
            "Lark standalone": parse_time(lambda t: standalone.parse(t, start="program"), text),
            "gradcli tables + driver": parse_time(lambda t: ours.parse(t, "program"), text),
        }
    base = startups.pop("python -c pass")[0]
    size = len(text.encode()) / 1e6
    print(f"start-up, fresh process, median of 20 (python -c pass: {1000 * base:.1f} ms):")
    for name, (seconds, _) in startups.items():
        print(f"  {name:<26} {1000 * seconds:6.1f} ms  (+{1000 * (seconds - base):.1f} ms over python)")
    print(f"parse, {size:.2f} MB / {tokens:,} tokens (chain of {nodes // 4:,} statements), median of 5, GC paused:")
    ours_time = throughput["gradcli tables + driver"]
    for name, seconds in throughput.items():
        print(f"  {name:<26} {seconds:6.2f} s  {size / seconds:5.2f} MB/s  {1e6 * seconds / tokens:5.2f} us/token"
              f"  {seconds / ours_time:5.2f}x gradcli")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
