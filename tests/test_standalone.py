"""The repository stands alone: no pointer to files outside it, no tracker numbers.

A reader of the README, the code, the tests, the benchmarks, the samples or the grammar must
find everything there; comments say what a thing is, not which ticket asked for it.  The
patterns are built from pieces so that this file does not match itself.
"""

import re

import pytest

from conftest import ROOT

TRACKER_WORD = "iss" + "ue"
PLACES = ["README.md", "pyproject.toml", "gradcli", "benchmarks", "samples", "grammar", "tests"]

FORBIDDEN = {
    "a path outside the repository": re.compile(re.escape(".." + "/sha" + "red")),
    "the notes the samples came from": re.compile("REF" + "ERENCE" + r"(\.md|\s+section)"),
    "a tracker number": re.compile(r"\b" + TRACKER_WORD + r"s?\s*(#\s*)?\d+", re.IGNORECASE),
    "a tracker reference": re.compile(r"(\(|\b(the|this)\s+)" + TRACKER_WORD + r"\b", re.IGNORECASE),
    "a ticket number": re.compile(r"(?<![&\w])" + "#" + r"\d+\b"),
}


def files():
    for place in PLACES:
        path = ROOT / place
        for file in sorted([path] if path.is_file() else path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                yield file


@pytest.mark.parametrize("what, pattern", FORBIDDEN.items(), ids=list(FORBIDDEN))
def test_no_pointer_outside_the_repository(what, pattern):
    hits = []
    for file in files():
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, f"{what}:\n" + "\n".join(hits)


@pytest.mark.parametrize("line", [
    "see " + "../" + "sha" + "red/notes",
    "the numbers of " + "REF" + "ERENCE" + ".md",
    "(" + "REF" + "ERENCE" + " section 3)",
    "Goals (" + TRACKER_WORD + " 2): fast",
    "fixed in " + TRACKER_WORD + " #" + "12",
    "as the " + TRACKER_WORD + " named",
    "see " + "#" + "42",
])
def test_the_patterns_catch_what_they_are_for(line):
    assert any(p.search(line) for p in FORBIDDEN.values())


@pytest.mark.parametrize("line", ['COLOUR = "#1f77b4"', 't.replace("&#' + '45;", "-")', "# 3 paths",
                                  "a reference cycle", TRACKER_WORD + "s a warning"])
def test_the_patterns_spare_ordinary_text(line):
    assert not any(p.search(line) for p in FORBIDDEN.values())
