"""The one export loop of the public modules (``openbadges_core``, ``ob2``, ``ob3``), as httpx does."""

from __future__ import annotations

from collections.abc import Mapping
from types import FunctionType

__all__ = ["adopt_exports"]


def adopt_exports(namespace: Mapping[str, object]) -> None:
    """Show the module owning ``namespace`` as the home (reprs, docs, pickles) of every public class and
    function it lists in ``__all__``."""
    module = namespace["__name__"]
    names = namespace["__all__"]
    assert isinstance(module, str) and isinstance(names, list)
    for name in names:
        obj = namespace[name]
        if isinstance(obj, (type, FunctionType)):
            obj.__module__ = module
