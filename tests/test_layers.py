"""The package's folders are layers: a module imports only from its own layer or the layers below.

support < lang < core < autodiff < analyses < render < cli.  The one exception is the
parser's hint for `sin x` (write sin(x)), which asks the operator table which names are
functions.
"""

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"
LAYERS = ["support", "lang", "core", "autodiff", "analyses", "render", "cli"]
ALLOWED = {("lang/syntax.py", "core")}
IMPORT = re.compile(r"^\s*(?:from|import) gradcli\.([a-z_]+)", re.M)


@pytest.mark.parametrize("path", sorted(p for layer in LAYERS for p in (PACKAGE / layer).rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    relative = path.relative_to(PACKAGE)
    layer = LAYERS.index(relative.parts[0])
    for target in IMPORT.findall(path.read_text()):
        if (relative.as_posix(), target) in ALLOWED:
            continue
        assert LAYERS.index(target) <= layer, f"{relative} imports gradcli.{target}"


def test_every_module_is_in_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert loose == []
