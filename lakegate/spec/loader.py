"""Load YAML while remembering where every value came from.

:func:`load_yaml` returns plain Python data plus a :class:`SourceMap` from a key path (such as
``("transforms", "bids", "rules", 2, "expr")``) to its line and column, so validation errors can
point at the exact place in the user's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lakegate.errors import SpecError
from lakegate.spec.interpolate import interpolate

PathKey = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Key path → (line, column), both 1-based."""

    file: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey) -> tuple[int, int] | None:
        """The position of ``path`` or of its closest ancestor that has one."""
        for end in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:end]))
            if pos is not None:
                return pos
        return None

    def error(self, path: PathKey, message: str, *, hint: str | None = None) -> SpecError:
        """A :class:`SpecError` located at ``path``."""
        pos = self.locate(path)
        line, column = pos if pos else (None, None)
        return SpecError(message, hint=hint, file=self.file, line=line, column=column)


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans: only true/false are booleans, so `on`, `off`,
    `yes`, `no`, `y` and `n` stay strings (a column named `off` or a country code `NO` just works)."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Builder:
    def __init__(self, source_map: SourceMap) -> None:
        self.map = source_map
        self.constructor = Yaml12Loader("")

    def merged(self, node: yaml.Node, path: PathKey) -> dict[Any, Any]:
        """The entries a merge key (``<<: *base`` or ``<<: [*a, *b]``) brings in: keys written in
        the mapping itself win, then earlier merged mappings over later ones."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        own = self.map.positions.get(path)
        entries: dict[Any, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self.map.error(path, "a merge key (<<) takes a mapping or a list of mappings, "
                                           "e.g. `<<: *defaults`")  # fmt: skip
            entries = {**self.build(source, path), **entries}
        if own is not None:
            self.map.positions[path] = own
        return entries

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.map.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            inherited: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    inherited = {**self.merged(value_node, path), **inherited}
                    continue
                key = self.build_scalar(key_node)
                if key in result:
                    raise self.map.error((*path, key), f"duplicate key {key!r}")
                result[key] = self.build(value_node, (*path, key))
                # A key's position is where the key is written (errors about it point there).
                self.map.positions[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
            return {**inherited, **result} if inherited else result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self.build_scalar(node)
        if isinstance(value, str) and "$" in value:
            try:
                value = interpolate(value)
            except SpecError as exc:
                raise self.map.error(path, exc.message, hint=exc.hint) from None
        return value

    def build_scalar(self, node: yaml.Node) -> Any:
        """The Python value of a scalar node (typed by its resolved tag)."""
        return self.constructor.construct_object(node) if node.tag else node.value


def load_yaml_text(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML ``text`` (named ``file`` in errors) into data and its :class:`SourceMap`."""
    source_map = SourceMap(file)
    try:
        node = yaml.compose(text, Loader=Yaml12Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise SpecError(
            f"not valid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    if node is None:
        raise SpecError("the file is empty", file=file)
    return _Builder(source_map).build(node, ()), source_map


def load_yaml(path: str | Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file; a missing file is a :class:`SpecError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"no such file: {p}", hint="check the path to the pipeline YAML") from None
    except OSError as exc:
        raise SpecError(f"cannot read {p}: {exc.strerror}") from None
    return load_yaml_text(text, str(p))
