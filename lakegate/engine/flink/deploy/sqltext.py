"""Small helpers to write readable Flink SQL: quoting, ``WITH`` clauses, comments, secret names
(the placeholders themselves: :mod:`lakegate.engine.flink.secrets`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_SECRET_NAME = re.compile(r"[^A-Z0-9]+")


def ident(name: str) -> str:
    """A Flink SQL identifier in backticks (a backtick inside is doubled)."""
    return "`" + name.replace("`", "``") + "`"


def qualified(*parts: str) -> str:
    """``a.b.c`` with every part quoted."""
    return ".".join(ident(p) for p in parts)


def literal(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def secret_name(*parts: str) -> str:
    """The name of a secret: ``LAKEGATE_`` + the parts upper-cased, e.g. ``LAKEGATE_ORDERS_SASL_PASSWORD``."""
    return "LAKEGATE_" + "_".join(_SECRET_NAME.sub("_", p.upper()).strip("_") for p in parts)


@dataclass(frozen=True)
class Option:
    """One ``'key' = 'value'`` of a ``WITH`` clause, with an optional comment saying why."""

    key: str
    value: str
    comment: str | None = None


def with_clause(options: Sequence[Option]) -> str:
    """``WITH (...)`` with one aligned option per line and trailing ``--`` comments."""
    if not options:
        return "WITH ()"
    width = max(len(literal(o.key)) for o in options)
    lines = []
    for i, option in enumerate(options):
        comma = "," if i < len(options) - 1 else ""
        text = f"  {literal(option.key).ljust(width)} = {literal(option.value)}{comma}"
        if option.comment:
            text += f"  -- {option.comment}"
        lines.append(text)
    return "WITH (\n" + "\n".join(lines) + "\n)"


def comment(text: str) -> str:
    """``text`` as ``--`` comment lines (each line of ``text`` one comment line)."""
    return "\n".join(f"-- {line}".rstrip() for line in text.splitlines())


def column_list(columns: Iterable[tuple[str, str]]) -> str:
    """``(\\n  `a` STRING,\\n  `b` BIGINT\\n)`` from (name, type text) pairs; the type text may carry more
    (``METADATA FROM 'topic' VIRTUAL``, ``NOT NULL``)."""
    rows = list(columns)
    width = max((len(ident(n)) for n, _ in rows), default=0)
    return "(\n" + ",\n".join(f"  {ident(n).ljust(width)} {t}" for n, t in rows) + "\n)"
