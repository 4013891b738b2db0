"""The README tells the truth: every `$ gradcli ...` example runs as shown.

An example whose shown output has a `gradcli: error:` line must fail with that
line; one whose shown output is JSON must print exactly that JSON; every other
example must succeed.  (Rich tables are not compared: their width depends on
the terminal.)
"""

import json
import shlex

import pytest

from conftest import ROOT, run


def examples():
    lines = (ROOT / "README.md").read_text().splitlines()
    for i, line in enumerate(lines):
        text = line.strip()
        if not text.startswith("$ gradcli "):
            continue
        indent = len(line) - len(line.lstrip())
        shown = []
        for following in lines[i + 1:]:
            if not following.strip() or following.strip().startswith("$ ") \
                    or len(following) - len(following.lstrip()) < indent:
                break
            shown.append(following.strip())
        yield pytest.param(shlex.split(text[2:])[1:], shown, id=text[10:60])


@pytest.mark.parametrize("args, shown", list(examples()))
def test_readme_example(args, shown):
    result = run(*args)
    errors = [s for s in shown if s.startswith("gradcli: error:")]
    if errors:
        assert result.code in (1, 2), result.out
        assert errors[0] in result.err.splitlines()
        return
    assert result.code == 0, result.err
    json_lines = [s for s in shown if s.startswith("{")]
    if json_lines and "..." not in " ".join(shown) and all(s.endswith("}") for s in json_lines):
        assert [json.loads(s) for s in json_lines] == [json.loads(s) for s in result.out.splitlines()]


def test_readme_has_examples():
    assert len(list(examples())) >= 12
