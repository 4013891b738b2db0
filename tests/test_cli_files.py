"""Every file gradcli writes is written whole or not at all (a temporary file beside it, then a rename)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from conftest import ROOT, run


def chain(n: int, k: int) -> str:
    """t_n = x + n*k: n statements, so the graph's JSON is far larger than a write's buffer."""
    return "\n".join(["t0 = x", *(f"t{i} = t{i - 1} + {k}" for i in range(1, n + 1))])


def gradcli(args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "gradcli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, **kwargs)


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "graph.json"
    old = run("graph", "f = x^2", "x=3", "--format", "json", "-o", str(target))
    assert old.code == 0 and json.loads(target.read_text())["value"] == 9.0
    before = target.read_bytes()

    def limit():  # a file-size limit far below the new graph's size
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = gradcli(["graph", chain(400, 1), "x=1", "--format", "json", "-o", str(target)], preexec_fn=limit)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and err.decode().startswith("gradcli: error: -o "), err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]  # no temporary file left


def test_concurrent_writers_leave_one_whole_graph(tmp_path):
    target = tmp_path / "graph.json"
    sizes = {k: 60 * k for k in range(1, 9)}  # graphs of different lengths: a mix would show
    writers = [gradcli(["graph", chain(n, k), "x=1", "--format", "json", "-o", str(target)])
               for k, n in sizes.items()]
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    data = json.loads(target.read_text())  # whole: it parses
    # t_n = 1 + n*k for one writer's (n, k), and every node of that writer's graph is there
    k = next(k for k, n in sizes.items() if data["value"] == 1.0 + n * k)
    labels = {node["label"] for node in data["nodes"]}
    assert {f"t{i}" for i in range(sizes[k] + 1)} <= labels and f"t{sizes[k] + 1}" not in labels
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]


def test_the_new_file_keeps_the_old_permissions(tmp_path):
    target = tmp_path / "graph.dot"
    target.write_text("old")
    os.chmod(target, 0o640)
    assert run("graph", "f = x^2", "x=3", "-o", str(target)).code == 0
    assert oct(target.stat().st_mode & 0o777) == oct(0o640) and "digraph" in target.read_text()


@pytest.mark.parametrize("kind", ["new", "symlink"])
def test_a_new_file_and_a_link(tmp_path, kind):
    real = tmp_path / "real.dot"
    target = real
    if kind == "symlink":
        real.write_text("old")
        target = tmp_path / "link.dot"
        target.symlink_to(real)
    assert run("graph", "f = x^2", "x=3", "-o", str(target)).code == 0
    assert "digraph" in real.read_text()
    assert kind == "new" or target.is_symlink()  # the link stays a link to the file written
