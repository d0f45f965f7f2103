"""The Order-1 rule library: stateless, per-record rules, each a typed model that lowers to steps.

``RULES`` maps each rule type to its model; ``RULE_MODELS`` feeds the spec's discriminated union.
"""

from __future__ import annotations

from lakegate.rules.base import Rule
from lakegate.rules.cast import Cast, Coalesce, Default
from lakegate.rules.columns import Drop, Keep, Rename
from lakegate.rules.expressions import Derive, Filter, Route, Sql
from lakegate.rules.metadata import AddMetadata
from lakegate.rules.privacy import Hash, Mask, Redact
from lakegate.rules.python import Python
from lakegate.rules.strings import (
    Concat,
    Lower,
    MapValues,
    RegexExtract,
    RegexReplace,
    Split,
    Substring,
    Trim,
    Upper,
)
from lakegate.rules.structure import Flatten, ParseJson
from lakegate.rules.time import ConvertTimezone, FormatTimestamp, ParseTimestamp
from lakegate.rules.validate import Validate

RULE_MODELS: tuple[type[Rule], ...] = (
    Rename, Drop, Keep, Cast, Default, Derive, Filter, Mask, Hash, Redact, Flatten,
    ParseTimestamp, FormatTimestamp, ConvertTimezone, Trim, Lower, Upper, RegexReplace,
    RegexExtract, Split, Concat, Substring, MapValues, Coalesce, ParseJson, Validate,
    AddMetadata, Route, Sql, Python,
)  # fmt: skip

RULES: dict[str, type[Rule]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in RULE_MODELS
}

__all__ = ["RULES", "RULE_MODELS", "Rule"]
