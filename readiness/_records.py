"""One codec between frozen dataclasses and the JSON kept in the cache.

:func:`to_record` turns a dataclass into plain JSON data, field by field; :func:`from_record`
builds it again from its annotations and refuses, with :class:`RecordError`, any value that
is not of the annotated type. A cache entry that does not decode is a miss, never a crash.

The types a field may have: ``str``, ``int``, ``float``, ``bool``, ``None`` in a union,
``NewType`` names of those, enums, :class:`~packaging.version.Version`, :class:`~pathlib.Path`,
:class:`~datetime.date`, tuples (``tuple[X, ...]`` or of a fixed length), frozensets (kept
sorted), mappings with ``str`` keys, and dataclasses made of the same.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeAlias, TypeVar, Union

from packaging.version import InvalidVersion, Version

RecordT = TypeVar("RecordT")

_AS_TEXT: tuple[type, ...] = (Version, Path)


class RecordError(ValueError):
    """Raised when data does not decode to the type a field is annotated with."""


def to_record(value: Any) -> Any:
    """Return ``value`` (a dataclass, or any value one holds) as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_record(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_record(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(to_record(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): to_record(item) for key, item in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, _AS_TEXT):
        return str(value)
    return value


def from_record(cls: type[RecordT], data: object) -> RecordT:
    """Build a ``cls`` from what :func:`to_record` made of one.

    A field missing from ``data`` takes its default, where it has one; anything that does
    not fit raises :class:`RecordError`.
    """
    if not isinstance(data, dict):
        raise RecordError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    values = {}
    for name, where, decode in _fields(cls):
        if name in data:
            values[name] = decode(data[name], where)
    try:
        return cls(**values)
    except TypeError as e:  # a field without a default is missing
        raise RecordError(f"{cls.__name__}: {e}") from None


_Decoder: TypeAlias = Callable[[object, str], Any]
"""Decodes one value of an annotated type; the ``str`` says where it is, for the error."""

_FIELDS: dict[type, tuple[tuple[str, str, _Decoder], ...]] = {}
_DECODERS: dict[Any, _Decoder] = {}


def _fields(cls: type) -> tuple[tuple[str, str, _Decoder], ...]:
    """Return the name, place and decoder of each field ``cls`` takes, made once per class.

    A warm run decodes hundreds of records: reading each annotation once, not once per
    value, is most of its decoding time saved.
    """
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELDS[cls] = tuple(
            (f.name, f"{cls.__name__}.{f.name}", _decoder(hints[f.name]))
            for f in dataclasses.fields(cls)
            if f.init
        )
    return found


def _decoder(annotation: Any) -> _Decoder:
    """Return the decoder of values annotated ``annotation``, made once."""
    found = _DECODERS.get(annotation)
    if found is None:
        found = _DECODERS[annotation] = _make_decoder(annotation)
    return found


def _make_decoder(annotation: Any) -> _Decoder:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is Union or origin is types.UnionType:
        return _union_decoder(annotation, arguments)
    if origin is tuple:
        return _tuple_decoder(arguments)
    if origin is frozenset:
        return _frozenset_decoder(_decoder(arguments[0]))
    if origin is dict or origin is Mapping:
        return _mapping_decoder(_decoder(arguments[0]), _decoder(arguments[1]))
    supertype = getattr(annotation, "__supertype__", None)
    if supertype is not None:  # a NewType
        decode_super = _decoder(supertype)
        return lambda data, where: annotation(decode_super(data, where))
    if isinstance(annotation, type):
        return _type_decoder(annotation)

    def refuse(data: object, where: str) -> Any:
        raise RecordError(f"{where}: cannot decode a field annotated {annotation}")

    return refuse


def _union_decoder(annotation: Any, options: tuple[Any, ...]) -> _Decoder:
    nullable = type(None) in options
    decoders = [_decoder(option) for option in options if option is not type(None)]

    def decode(data: object, where: str) -> Any:
        if data is None and nullable:
            return None
        for option in decoders:
            try:
                return option(data, where)
            except RecordError:
                continue
        raise RecordError(f"{where}: {data!r} is none of {annotation}")

    return decode


def _tuple_decoder(item_types: tuple[Any, ...]) -> _Decoder:
    if len(item_types) == 2 and item_types[1] is Ellipsis:
        item = _decoder(item_types[0])

        def decode_any_length(data: object, where: str) -> Any:
            if not isinstance(data, list):
                raise RecordError(f"{where}: expected a list, got {type(data).__name__}")
            return tuple(item(value, where) for value in data)

        return decode_any_length
    items = [_decoder(kind) for kind in item_types]

    def decode_fixed_length(data: object, where: str) -> Any:
        if not isinstance(data, list):
            raise RecordError(f"{where}: expected a list, got {type(data).__name__}")
        if len(items) != len(data):
            raise RecordError(f"{where}: expected {len(items)} items, got {len(data)}")
        return tuple(item(value, where) for item, value in zip(items, data, strict=True))

    return decode_fixed_length


def _frozenset_decoder(item: _Decoder) -> _Decoder:
    def decode(data: object, where: str) -> Any:
        if not isinstance(data, list):
            raise RecordError(f"{where}: expected a list, got {type(data).__name__}")
        return frozenset(item(value, where) for value in data)

    return decode


def _mapping_decoder(key: _Decoder, value: _Decoder) -> _Decoder:
    def decode(data: object, where: str) -> Any:
        if not isinstance(data, dict):
            raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
        return {key(name, where): value(item, where) for name, item in data.items()}

    return decode


def _type_decoder(annotation: type) -> _Decoder:
    if dataclasses.is_dataclass(annotation):
        return lambda data, where: from_record(annotation, data)
    if issubclass(annotation, enum.Enum):
        return partial(_decode_enum, annotation)
    if annotation is float:
        return _decode_float
    if annotation in (str, int, bool):
        return partial(_decode_exactly, annotation)
    parse = _PARSED_FROM_TEXT.get(annotation)
    if parse is not None:
        return partial(_decode_text, annotation, parse)
    return partial(_refuse, annotation)


def _decode_enum(annotation: type[enum.Enum], data: object, where: str) -> Any:
    try:
        return annotation(data)
    except ValueError:
        raise RecordError(f"{where}: {data!r} is no {annotation.__name__}") from None


def _decode_float(data: object, where: str) -> Any:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    return _refuse(float, data, where)


def _decode_exactly(annotation: type, data: object, where: str) -> Any:
    if type(data) is annotation:
        return data
    return _refuse(annotation, data, where)


def _decode_text(annotation: type, parse: Callable[[str], object], data: object, where: str) -> Any:
    if not isinstance(data, str):
        return _refuse(annotation, data, where)
    try:
        return parse(data)
    except (InvalidVersion, ValueError):
        raise RecordError(f"{where}: {data!r} is no {annotation.__name__}") from None


def _refuse(annotation: type, data: object, where: str) -> Any:
    raise RecordError(f"{where}: expected {annotation.__name__}, got {type(data).__name__}")


_PARSED_FROM_TEXT: dict[type, Callable[[str], object]] = {
    Version: Version,
    Path: Path,
    date: date.fromisoformat,
}
"""The types a record holds as text, and what reads each back."""
