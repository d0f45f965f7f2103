"""Turn pydantic validation errors into one clear, located :class:`SpecError`."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from lakegate.errors import SpecError
from lakegate.spec.loader import PathKey, SourceMap
from lakegate.suggest import did_you_mean


def _model_at(model: type[BaseModel], path: PathKey, data: Any) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` (best effort)."""
    annotation: Any = model
    node = data
    for key in path:
        annotation = _resolve(annotation, node)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(key))
            if info is None:
                info = next((f for f in annotation.model_fields.values() if f.alias == key), None)
            if info is None:
                return None
            annotation = info.annotation
        else:  # a container: dict[str, V] or list[V]
            args = getattr(annotation, "__args__", ())
            if not args:
                return None
            annotation = args[-1]
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            node = None
    annotation = _resolve(annotation, node)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _resolve(annotation: Any, node: Any) -> Any:
    """Step through Annotated / Optional / discriminated unions to the model that fits ``node``."""
    while getattr(annotation, "__metadata__", None) is not None:
        annotation = annotation.__origin__
    origin = getattr(annotation, "__origin__", None)
    if origin in (dict, list):
        return annotation
    args = getattr(annotation, "__args__", None)
    if not args:
        return annotation
    options = [_resolve(a, node) for a in args if a is not type(None)]
    models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
    if isinstance(node, dict):
        tag = node.get("type")
        for m in models:
            field = m.model_fields.get("type")
            if field is not None and tag in getattr(field.annotation, "__args__", ()):
                return m
    if len(options) == 1:
        return options[0]
    return models[0] if len(models) == 1 else annotation


def _describe(path: PathKey) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "the document"


def spec_error(exc: ValidationError, model: type[BaseModel], data: Any, source_map: SourceMap) -> SpecError:
    """The first error of ``exc`` as a :class:`SpecError` with file, line, column and a suggestion."""
    errors = exc.errors()
    # A misspelt key shows up twice (unknown key + missing key): report the misspelling first.
    priority = {"extra_forbidden": 0, "union_tag_invalid": 1}
    first = min(errors, key=lambda e: priority.get(e["type"], 2))
    # pydantic inserts union tags (e.g. 'rename') into loc; keep only elements that are real keys.
    path = _real_path(data, tuple(first["loc"]))
    kind = first["type"]
    where = _describe(path)
    hint = None
    if kind == "extra_forbidden":
        key = str(path[-1])
        parent = _model_at(model, path[:-1], data)
        allowed = list(parent.model_fields) if parent else []
        message = f"unknown key {key!r} in {_describe(path[:-1])}{did_you_mean(key, allowed)}"
        if allowed:
            hint = "allowed keys: " + ", ".join(allowed)
    elif kind == "missing":
        message = f"{_describe(path[:-1])} needs the key {path[-1]!r}"
    elif kind == "union_tag_invalid":
        tags = re.findall(r"'([^']+)'", str(first["ctx"].get("expected_tags", "")))
        tag = str(first["ctx"].get("tag"))
        message = f"unknown type {tag!r} at {where}{did_you_mean(tag, tags)}"
        hint = "valid types: " + ", ".join(tags)
        path = (*path, "type")
    elif kind == "union_tag_not_found":
        message = f"{where} needs a `type` key"
    else:
        message = f"{where}: {first['msg']}"
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return source_map.error(path, message, hint=hint)


def _real_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """Keep only the elements of a pydantic ``loc`` that index into ``data``."""
    path: list[str | int] = []
    node = data
    for key in loc:
        if (isinstance(node, dict) and key in node) or (isinstance(node, list) and isinstance(key, int) and key < len(node)):
            path.append(key)
            node = node[key]
        elif isinstance(node, dict) and isinstance(key, str) and key == loc[-1]:
            path.append(key)  # a missing or unknown key: keep it for the message
            node = None
    return tuple(path)
