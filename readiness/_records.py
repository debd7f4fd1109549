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
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, Union

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
    for name, annotation in _fields(cls):
        if name in data:
            values[name] = _decode(annotation, data[name], f"{cls.__name__}.{name}")
    try:
        return cls(**values)
    except TypeError as e:  # a field without a default is missing
        raise RecordError(f"{cls.__name__}: {e}") from None


_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """Return the name and resolved annotation of each field ``cls`` takes, once per class."""
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in fields if f.init)
    return found


def _decode(annotation: Any, data: object, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        options = typing.get_args(annotation)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, data, where)
            except RecordError:
                continue
        raise RecordError(f"{where}: {data!r} is none of {annotation}")
    if origin is tuple:
        item_types = typing.get_args(annotation)
        if not isinstance(data, list):
            raise RecordError(f"{where}: expected a list, got {type(data).__name__}")
        if len(item_types) == 2 and item_types[1] is Ellipsis:
            return tuple(_decode(item_types[0], item, where) for item in data)
        if len(item_types) != len(data):
            raise RecordError(f"{where}: expected {len(item_types)} items, got {len(data)}")
        return tuple(
            _decode(kind, item, where) for kind, item in zip(item_types, data, strict=True)
        )
    if origin is frozenset:
        [item_type] = typing.get_args(annotation)
        if not isinstance(data, list):
            raise RecordError(f"{where}: expected a list, got {type(data).__name__}")
        return frozenset(_decode(item_type, item, where) for item in data)
    if origin is dict or origin is Mapping:
        key_type, value_type = typing.get_args(annotation)
        if not isinstance(data, dict):
            raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
        return {
            _decode(key_type, key, where): _decode(value_type, item, where)
            for key, item in data.items()
        }
    supertype = getattr(annotation, "__supertype__", None)
    if supertype is not None:  # a NewType
        return annotation(_decode(supertype, data, where))
    if isinstance(annotation, type):
        return _decode_type(annotation, data, where)
    raise RecordError(f"{where}: cannot decode a field annotated {annotation}")


def _decode_type(annotation: type, data: object, where: str) -> Any:
    if dataclasses.is_dataclass(annotation):
        return from_record(annotation, data)
    if issubclass(annotation, enum.Enum):
        try:
            return annotation(data)
        except ValueError:
            raise RecordError(f"{where}: {data!r} is no {annotation.__name__}") from None
    if annotation is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if annotation in (str, int, bool) and type(data) is annotation:
        return data
    if isinstance(data, str):
        try:
            if annotation is Version:
                return Version(data)
            if annotation is Path:
                return Path(data)
            if annotation is date:
                return date.fromisoformat(data)
        except (InvalidVersion, ValueError):
            raise RecordError(f"{where}: {data!r} is no {annotation.__name__}") from None
    raise RecordError(f"{where}: expected {annotation.__name__}, got {type(data).__name__}")
