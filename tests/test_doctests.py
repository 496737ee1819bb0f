"""The ``>>>`` examples in the package's docstrings run, and give what they show."""

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import engramsim

ROOT = Path(engramsim.__file__).parent
MODULES = sorted(
    info.name for info in pkgutil.walk_packages([str(ROOT)], prefix="engramsim.")
    if ">>>" in (ROOT.parent / (info.name.replace(".", "/") + ("/__init__.py" if info.ispkg else ".py"))).read_text()
)


def test_there_are_doctests():
    assert len(MODULES) >= 5


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
