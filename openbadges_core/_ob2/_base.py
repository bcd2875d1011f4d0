"""The parsing entry points of every OB 2.0 class: validate first, then build (see :mod:`._model`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from openbadges_core._ob2._model import Node, decode_json, fail
from openbadges_core._ob2._validation import validate_document

__all__ = ["ValidatedNode"]


class ValidatedNode(Node):
    """A :class:`Node` that validates what it parses against the OB 2.0 schema and rules."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, validate: bool = True) -> Self:
        """Parse a JSON-LD mapping; validates first (raises :class:`ValidationError`) unless told not to."""
        if not isinstance(data, Mapping):
            raise fail("", "json", f"expected a JSON object, got {type(data).__name__}", parse=True)
        if validate:
            validate_document(data, kind=cls.KIND)
        return cls.from_node(data, "", top=True)

    @classmethod
    def from_json(cls, data: str | bytes, *, validate: bool = True) -> Self:
        """Parse JSON text; :class:`ParseError` if it is not a JSON object."""
        return cls.from_dict(decode_json(data), validate=validate)
