"""A small typed-schema layer: plain dataclasses in, validated objects and JSON Schema out.

Why not pydantic: importing it costs about 0.2 s, longer than the whole of
``mlops-primer lessons`` may take. Lesson files need only strings, numbers, lists,
optional fields and nested records, so one walker over dataclass type hints builds
the objects, reports every problem with its path, and writes the JSON Schema for
editors from the same classes: one schema, two uses.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import re
import types
import typing
from collections.abc import Iterator
from typing import Any, TypeVar, Union

T = TypeVar("T")
Loc = tuple[str | int, ...]


def spec(
    *,
    description: str,
    default: Any = dataclasses.MISSING,
    min_items: int | None = None,
    min_length: int | None = 1,
    max_length: int | None = None,
    pattern: str | None = None,
    minimum: int | None = None,
    pattern_help: str | None = None,
) -> Any:
    """A dataclass field with the constraints the validator and JSON Schema share
    (``pattern_help`` says in words what a value that does not match ``pattern`` gets
    wrong)."""
    meta = {
        "pattern_help": pattern_help,
        "description": description,
        "min_items": min_items,
        "min_length": min_length,
        "max_length": max_length,
        "pattern": pattern,
        "minimum": minimum,
    }
    if isinstance(default, (list, tuple)):
        return dataclasses.field(default_factory=lambda: tuple(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Issue:
    """One problem found while building an object: where (a path of keys) and what."""

    loc: Loc
    message: str

    @property
    def where(self) -> str:
        """The path as a reader writes it: ``quiz[2].answer``."""
        out = ""
        for part in self.loc:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(top level)"


class SchemaViolation(Exception):
    """Data did not match the schema; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.where}: {i.message}" for i in issues))
        self.issues = issues


def _type_name(value: Any) -> str:
    return {
        str: "text",
        int: "a whole number",
        bool: "true/false",
        float: "a number",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing (null)",
    }.get(type(value), type(value).__name__)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # get_type_hints eval()s every string annotation on each call, and a course load asks
    # ~130 times (once per record built): ~8 ms of `lessons`. A class's hints never
    # change, so once per class is enough. Callers only read the dict.
    return typing.get_type_hints(cls)


def public_fields(cls: type) -> Iterator[dataclasses.Field[Any]]:
    """The fields that belong in a file (not the internal ones, marked ``internal``)."""
    for f in dataclasses.fields(cls):
        if f.init and not f.metadata.get("internal"):
            yield f


def build(cls: type[T], data: Any, loc: Loc = ()) -> T:
    """Build ``cls`` from plain data (as YAML gives it), or raise with every problem."""
    issues: list[Issue] = []
    value = _build(cls, data, loc, {}, issues)
    if issues:
        raise SchemaViolation(issues)
    return value


def construct(cls: type[T], data: Any) -> T:
    """Build ``cls`` from data that already passed ``build`` once (the parsed-lesson cache):
    the same objects, without re-checking every constraint."""
    return _construct(cls, data)


def _construct(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    tp, _ = _unwrap_optional(tp)
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: _construct(hints[f.name], data[f.name])
                     for f in public_fields(tp) if f.name in data})
    if typing.get_origin(tp) in (tuple, list):
        (item_tp, *_) = typing.get_args(tp)
        return tuple(_construct(item_tp, item) for item in data)
    if tp is str and not isinstance(data, str):
        return str(data)
    return data


def _build(tp: Any, data: Any, loc: Loc, meta: dict[str, Any], issues: list[Issue]) -> Any:
    tp, optional = _unwrap_optional(tp)
    if data is None:
        if not optional:
            issues.append(Issue(loc, "is empty; a value is required"))
        return None
    if isinstance(data, int) and not isinstance(data, bool) and not -(2**63) <= data < 2**63:
        # YAML reads `0xfff...` of any length; such a number cannot even be printed
        issues.append(Issue(loc, "is a number too large to use"))
        return None
    if dataclasses.is_dataclass(tp):
        return _build_record(tp, data, loc, issues)
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        (item_tp, *_) = typing.get_args(tp)
        if not isinstance(data, list):
            issues.append(Issue(loc, f"should be a list, not {_type_name(data)}"))
            return ()
        if meta.get("min_items") and len(data) < meta["min_items"]:
            need = meta["min_items"]
            issues.append(Issue(loc, f"needs at least {need} item(s), has {len(data)}"))
        return tuple(_build(item_tp, item, (*loc, i), meta, issues) for i, item in enumerate(data))
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            issues.append(Issue(loc, f"should be a whole number, not {_type_name(data)}"))
            return 0
        if meta.get("minimum") is not None and data < meta["minimum"]:
            issues.append(Issue(loc, f"should be at least {meta['minimum']}, is {data}"))
        return data
    if tp is str:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            data = str(data)  # YAML reads `title: 2024` as a number; text is meant
        elif isinstance(data, (datetime.date, datetime.datetime)):
            data = data.isoformat()  # likewise `title: 2024-01-01` as a date
        if not isinstance(data, str):
            issues.append(Issue(loc, f"should be text, not {_type_name(data)}"))
            return ""
        _check_text(data, loc, meta, issues)
        return data
    raise TypeError(f"schema type not supported: {tp!r}")  # a bug in a schema class


def _check_text(data: str, loc: Loc, meta: dict[str, Any], issues: list[Issue]) -> None:
    if meta.get("min_length") and len(data.strip()) < meta["min_length"]:
        issues.append(Issue(loc, "is empty; write some text"))
    if meta.get("max_length") and len(data) > meta["max_length"]:
        issues.append(Issue(loc, f"is {len(data)} characters; at most {meta['max_length']}"))
    if meta.get("pattern") and not re.fullmatch(meta["pattern"], data):
        issues.append(Issue(loc, f"{data[:60]!r} {meta['pattern_help']}"
                            if meta.get("pattern_help")
                            else f"{data!r} does not match {meta['pattern']}"))


def _build_record(cls: type, data: Any, loc: Loc, issues: list[Issue]) -> Any:
    if not isinstance(data, dict):
        issues.append(Issue(loc, f"should be a mapping of fields, not {_type_name(data)}"))
        return None
    start = len(issues)
    hints = _hints(cls)
    fields = {f.name: f for f in public_fields(cls)}
    for key in data:
        if key not in fields:
            close = [n for n in fields if n.replace("_", "") == str(key).replace("_", "").lower()]
            close = close or difflib.get_close_matches(str(key).lower(), list(fields), 1, 0.75)
            extra = f" (did you mean {close[0]!r}?)" if close else ""
            issues.append(Issue((*loc, str(key)), f"unknown field{extra}"))
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name not in data:
            if required:
                issues.append(Issue((*loc, name), "is missing"))
            continue
        kwargs[name] = _build(hints[name], data[name], (*loc, name), dict(f.metadata), issues)
    if len(issues) > start:
        return None  # the caller raises with every issue; a half-built record is never used
    return cls(**kwargs)


def json_schema(cls: type, *, title: str, schema_id: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``cls``, for editors that validate YAML."""
    defs: dict[str, Any] = {}
    root = _record_schema(cls, defs)
    out: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if schema_id:
        out["$id"] = schema_id
    out["title"] = title
    out.update(root)
    if defs:
        out["$defs"] = dict(sorted(defs.items()))
    return out


def _record_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = _hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in public_fields(cls):
        tp, optional = _unwrap_optional(hints[f.name])
        prop = _type_schema(tp, dict(f.metadata), defs)
        prop = {"description": f.metadata.get("description", ""), **prop}
        props[f.name] = prop
        has_default = (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        if not optional and not has_default:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object"}
    if cls.__doc__:
        out["description"] = " ".join(cls.__doc__.split())
    out.update({"properties": props, "required": required, "additionalProperties": False})
    return out


def _type_schema(tp: Any, meta: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            defs[name] = _record_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        (item_tp, *_) = typing.get_args(tp)
        out: dict[str, Any] = {"type": "array", "items": _type_schema(item_tp, {}, defs)}
        if meta.get("min_items"):
            out["minItems"] = meta["min_items"]
        item_meta = {k: v for k, v in meta.items() if k in ("pattern", "max_length")}
        if item_meta and item_tp is str:
            out["items"] = _type_schema(str, item_meta, defs)
        elif typing.get_origin(item_tp) in (tuple, list):  # a list of lists: the builder
            out["items"] = _type_schema(item_tp, meta, defs)  # checks each level alike
        return out
    if tp is int:
        out = {"type": "integer"}
        if meta.get("minimum") is not None:
            out["minimum"] = meta["minimum"]
        return out
    if tp is str:
        out = {"type": "string"}
        if meta.get("min_length"):
            out["minLength"] = meta["min_length"]
        if meta.get("max_length"):
            out["maxLength"] = meta["max_length"]
        if meta.get("pattern"):
            out["pattern"] = f"^(?:{meta['pattern']})$"
        return out
    raise TypeError(f"schema type not supported: {tp!r}")
