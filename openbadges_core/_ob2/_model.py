"""The machinery behind the OB 2.0 classes: declared JSON properties, codecs, to/from compact JSON-LD.

Each class is a frozen, slotted dataclass whose fields carry ``metadata={"key": <JSON name>, ...}``;
:func:`model` turns those declarations into a tuple of :class:`_Prop` so ``to_dict``/``from_dict`` are
one loop each. Unknown (extension) properties are kept in ``extra`` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self, TypeVar, dataclass_transform

import msgspec

from openbadges_core._errors import ParseError, ValidationError, ValidationIssue
from openbadges_core._json import check_depth

OB2_CONTEXT = "https://w3id.org/openbadges/v2"

_T = TypeVar("_T", bound="Node")

Encode = Callable[[Any], Any]
Decode = Callable[[Any, str], Any]


def join_path(path: str, key: str | int) -> str:
    """``recipient`` + ``identity`` -> ``recipient.identity``; ``evidence`` + 0 -> ``evidence[0]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def fail(path: str, rule: str, message: str, *, parse: bool = False) -> ValidationError:
    issue = ValidationIssue(path, rule, message)
    cls = ParseError if parse else ValidationError
    return cls("", [issue])


# --- dates --------------------------------------------------------------------------------------

def parse_datetime(value: Any, path: str) -> datetime:
    """An ISO 8601 date-time **with a timezone** (``Z`` or an offset) -> aware :class:`datetime`."""
    if not isinstance(value, str):
        raise fail(path, "value_type", f"expected an ISO 8601 date-time string, got {type(value).__name__}")
    if "T" not in value and "t" not in value:
        raise fail(path, "datetime", f"{value!r} is not an ISO 8601 date-time (date and time required)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(path, "datetime", f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise fail(path, "datetime.timezone", f"{value!r} has no timezone (add 'Z' or an offset like +02:00)")
    return parsed


def format_datetime(value: datetime) -> str:
    """ISO 8601 with timezone; UTC is written ``Z`` (``2016-12-31T23:59:59Z``)."""
    text = value.isoformat()
    if value.utcoffset() == timedelta(0) and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


# --- codecs ---------------------------------------------------------------------------------------

def _dec_text(value: Any, path: str) -> Any:
    if not isinstance(value, str):
        raise fail(path, "value_type", f"expected a string, got {type(value).__name__}")
    return value


def _dec_bool(value: Any, path: str) -> Any:
    if not isinstance(value, bool):
        raise fail(path, "value_type", f"expected true or false, got {type(value).__name__}")
    return value


def _dec_any(value: Any, path: str) -> Any:
    return value


def _dec_str_or_list(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise fail(path, "value_type", "expected a string or a list of strings")


def _enc_str_or_list(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _identity(value: Any) -> Any:
    return value


def _enc_datetime(value: Any) -> Any:
    return format_datetime(value) if isinstance(value, datetime) else value


TEXT: tuple[Encode, Decode] = (_identity, _dec_text)
BOOL: tuple[Encode, Decode] = (_identity, _dec_bool)
ANY: tuple[Encode, Decode] = (_identity, _dec_any)
DATETIME: tuple[Encode, Decode] = (_enc_datetime, parse_datetime)
STR_OR_LIST: tuple[Encode, Decode] = (_enc_str_or_list, _dec_str_or_list)


def _enc_node(value: Any) -> Any:
    return value.to_node() if isinstance(value, Node) else value


def node_codec(cls_getter: Callable[[], type[Node]], *, iri: bool) -> tuple[Encode, Decode]:
    """Codec for a nested object (``iri=True``: or an IRI string in its place)."""

    def decode(value: Any, path: str) -> Any:
        if iri and isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            return cls_getter().from_node(value, path)
        expected = "an IRI or an object" if iri else "an object"
        raise fail(path, "value_type", f"expected {expected}, got {type(value).__name__}")

    return (_enc_node, decode)


def prop(key: str, codec: tuple[Encode, Decode] = TEXT, *, default: Any = dataclasses.MISSING,
         many: bool = False, always: bool = False) -> Any:
    """Declare a dataclass field that is the JSON property ``key`` (no ``default``: required)."""
    meta = {"key": key, "codec": codec, "many": many, "always": always}
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True, slots=True)
class _Prop:
    attr: str
    key: str
    encode: Encode
    decode: Decode
    many: bool
    always: bool
    is_datetime: bool


class FrozenMapping(dict[str, Any]):
    """A read-only dict (``extra``): still a dict for JSON, equality, pickling and copying."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("OB 2.0 documents are immutable; build a new one with dataclasses.replace()")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMapping, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        raise TypeError("unhashable type: 'FrozenMapping'")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Node:
    """Base of every OB 2.0 object: compact JSON-LD in and out.

    Its two fields are every class's: ``extra``, the unknown (extension) properties, kept for round-trips,
    and the hidden ``_shape_keys``: JSON keys whose list shape is not the default (a single value where a
    list is allowed, written back single; or an explicit empty list, written back as ``[]``).
    """

    _PROPS: ClassVar[tuple[_Prop, ...]] = ()
    _KEYS: ClassVar[frozenset[str]] = frozenset()
    KIND: ClassVar[str] = ""

    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    _shape_keys: frozenset[str] = dataclasses.field(default=frozenset(), repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for p in self._PROPS:
            value = getattr(self, p.attr)
            if p.many and value is not None and not isinstance(value, tuple):
                if isinstance(value, (str, Mapping, Node)):
                    value = (value,)  # given as one value: written back as one value (as from_node does)
                    object.__setattr__(self, "_shape_keys", self._shape_keys | {p.key})
                object.__setattr__(self, p.attr, tuple(value))
            elif isinstance(value, list):
                object.__setattr__(self, p.attr, tuple(value))
            elif p.is_datetime and isinstance(value, datetime) and value.utcoffset() is None:
                raise fail(p.key, "datetime.timezone",
                           f"{p.attr} must be timezone-aware (e.g. datetime.now(timezone.utc))")
        if not isinstance(self.extra, FrozenMapping):
            object.__setattr__(self, "extra", FrozenMapping(self.extra))

    def __repr__(self) -> str:
        """The declared properties, then ``extra``: ``Image(type=None, id='…', …, extra={})``."""
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in (*(p.attr for p in self._PROPS), "extra"))
        return f"{type(self).__qualname__}({shown})"

    # --- serialisation ---
    def to_node(self) -> dict[str, Any]:
        """This object as a JSON-LD node without a top-level ``@context`` (for embedding)."""
        out: dict[str, Any] = {}
        shapes = self._shape_keys
        for p in self._PROPS:
            value = getattr(self, p.attr)
            if value is None:
                continue
            if p.many:
                if not value:
                    if p.always or p.key in shapes:
                        out[p.key] = []
                    continue
                items = [p.encode(v) for v in value]
                out[p.key] = items[0] if len(items) == 1 and p.key in shapes else items
            else:
                out[p.key] = p.encode(value)
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-LD: the node with ``"@context": "https://w3id.org/openbadges/v2"`` first."""
        node = self.to_node()
        context = node.pop("@context", OB2_CONTEXT)
        return {"@context": context, **node}

    def to_json(self) -> bytes:
        """Compact JSON bytes of :meth:`to_dict`."""
        return msgspec.json.encode(self.to_dict())

    # --- parsing ---
    @classmethod
    def from_node(cls, data: Mapping[str, Any], path: str = "", *, top: bool = False) -> Self:
        """Build from a JSON-LD node **without validating** (typed conversion only)."""
        kwargs: dict[str, Any] = {}
        scalars: set[str] = set()
        for p in cls._PROPS:
            if p.key not in data:
                continue
            value = data[p.key]
            sub = join_path(path, p.key)
            if p.many:
                if isinstance(value, list):
                    kwargs[p.attr] = tuple(p.decode(v, join_path(sub, i)) for i, v in enumerate(value))
                    if not value:
                        scalars.add(p.key)  # an explicit [] is written back as []
                elif value is None:
                    continue
                else:
                    kwargs[p.attr] = (p.decode(value, sub),)
                    scalars.add(p.key)
            elif value is not None:
                kwargs[p.attr] = p.decode(value, sub)
        extra = {k: v for k, v in data.items() if k not in cls._KEYS}
        if top and extra.get("@context") == OB2_CONTEXT:
            del extra["@context"]
        kwargs["extra"] = extra
        if scalars:
            kwargs["_shape_keys"] = frozenset(scalars)
        try:
            return cls(**kwargs)
        except TypeError as exc:
            missing = [f.name for f in dataclasses.fields(cls)
                       if f.init and f.name not in kwargs
                       and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
            keys = [p.key for p in cls._PROPS if p.attr in missing] or [str(exc)]
            raise ValidationError("", [ValidationIssue(join_path(path, k), "required",
                                                       f"{k} is required") for k in keys]) from None


def decode_json(data: str | bytes | bytearray | memoryview) -> dict[str, Any]:
    """JSON text -> dict, or :class:`ParseError` (rule ``json``)."""
    try:
        value = msgspec.json.decode(data)
    except (msgspec.DecodeError, TypeError, UnicodeDecodeError) as exc:
        raise fail("", "json", f"not valid JSON: {exc}", parse=True) from None
    except RecursionError:
        raise fail("", "json", "JSON nested too deeply", parse=True) from None
    try:
        check_depth(value)
    except ParseError as exc:
        raise fail("", "json", exc.message, parse=True) from None
    if not isinstance(value, dict):
        raise fail("", "json", f"expected a JSON object, got {type(value).__name__}", parse=True)
    return value


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field, prop))
def ob2_model(kind: str) -> Callable[[type[_T]], type[_T]]:
    """Class decorator: a frozen, slotted, keyword-only dataclass whose ``prop`` fields are JSON properties
    (and which inherits ``extra`` and ``_shape_keys`` from :class:`Node`)."""

    def wrap(cls: type[_T]) -> type[_T]:
        cls = dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)(cls)
        props = []
        for f in dataclasses.fields(cls):
            if "key" not in f.metadata:
                continue
            enc, dec = f.metadata["codec"]
            props.append(_Prop(f.name, f.metadata["key"], enc, dec, f.metadata["many"],
                               f.metadata["always"], dec is parse_datetime))
        cls._PROPS = tuple(props)
        cls._KEYS = frozenset(p.key for p in props)
        cls.KIND = kind
        return cls

    return wrap
