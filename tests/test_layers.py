"""The package's folders are layers: a module imports only from its own layer or the layers below.

support < lang < core < autodiff < analyses < render < cli, with no exception: the
parser's hints learn the function names from the operator table, which registers them.
"""

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"
LAYERS = ["support", "lang", "core", "autodiff", "analyses", "render", "cli"]
IMPORT = re.compile(r"^\s*(?:from|import) gradcli\.([a-z_]+)", re.M)


@pytest.mark.parametrize("path", sorted(p for layer in LAYERS for p in (PACKAGE / layer).rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    relative = path.relative_to(PACKAGE)
    layer = LAYERS.index(relative.parts[0])
    for target in IMPORT.findall(path.read_text()):
        assert LAYERS.index(target) <= layer, f"{relative} imports gradcli.{target}"


def test_every_module_is_in_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert loose == []
