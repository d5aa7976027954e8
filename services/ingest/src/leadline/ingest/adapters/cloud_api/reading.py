"""Typed reads from an untrusted webhook body that fail as ``MalformedDelivery`` naming the JSON path."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, NoReturn, TypeVar, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

M = TypeVar("M", bound=BaseModel)

ROOT = "delivery"
"""How messages name the body itself; everything below it is named from its first key (``entry[0]...``)."""

_NAMES: dict[type, str] = {
    dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number", bool: "a boolean",
}  # fmt: skip
_MAX_UNIX_DIGITS = 12  # year 33658 and beyond is not a WhatsApp timestamp; also keeps int() cheap


class MalformedDelivery(Exception):
    """The signed body is not a Cloud API delivery; ``str()`` names what is wrong and where.

    For example ``entry[0].changes[1].value.messages[2].timestamp: not a unix time``.
    """


def fail(path: str, problem: str) -> NoReturn:
    raise MalformedDelivery(f"{path or ROOT}: {problem}")


def at(path: str, key: str | int) -> str:
    """The path of a child: ``at("entry[0]", "changes")`` or ``at("entry", 0)``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in _NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _is(value: object, base: type) -> bool:
    if isinstance(value, bool):
        return base is bool
    if base is float:
        return isinstance(value, int | float)
    return isinstance(value, base)


@cache
def _adapter(type_: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_)


def check(value: object, path: str, type_: Any) -> Any:
    """``value`` as ``type_`` (a JSON type, or a constrained ``Annotated`` one from the contract)."""
    base = get_args(type_)[0] if get_origin(type_) is Annotated else type_
    if not _is(value, base):
        fail(path, f"expected {_NAMES[base]}, got {describe(value)}")
    if base is float and not math.isfinite(value):  # type: ignore[arg-type]  # json.loads lets NaN through
        fail(path, "expected a finite number")
    if base is not type_:
        try:
            return _adapter(type_).validate_python(value)
        except ValidationError as error:
            fail(path, error.errors()[0]["msg"])
    return float(value) if base is float else value  # type: ignore[arg-type]


def need(obj: dict[str, Any], key: str, path: str, type_: Any = str) -> Any:
    """A required key; ``null`` counts as present and of the wrong type."""
    if key not in obj:
        fail(at(path, key), "missing")
    return check(obj[key], at(path, key), type_)


def maybe(obj: dict[str, Any], key: str, path: str, type_: Any = str, default: Any = None) -> Any:
    """An optional key; absent or ``null`` gives ``default``."""
    if obj.get(key) is None:
        return default
    return check(obj[key], at(path, key), type_)


def items(obj: dict[str, Any], key: str, path: str, *, required: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The objects of a list under ``key`` with their paths; an absent optional list is empty."""
    if not required and obj.get(key) is None:
        return []
    listed = need(obj, key, path, list)
    return [(at(at(path, key), i), check(item, at(at(path, key), i), dict)) for i, item in enumerate(listed)]


def unix_time(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> datetime | None:
    """A unix-seconds timestamp (Meta sends a digit string; an integer is accepted too), in UTC."""
    if not required and obj.get(key) is None:
        return None
    if key not in obj:
        fail(at(path, key), "missing")
    raw = obj[key]
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= _MAX_UNIX_DIGITS:
        seconds = int(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**_MAX_UNIX_DIGITS:
        seconds = raw
    else:
        fail(at(path, key), "not a unix time")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        fail(at(path, key), "not a unix time")


def build(model: type[M], path: str, **fields: Any) -> M:
    """``model(**fields)``, with a contract violation reported at ``path`` plus the model's own location."""
    try:
        return model(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        fail(f"{path}.{where}" if where else path, first["msg"])
