"""Option types shared by rule models, validated when the YAML is read.

``TypeName`` is a lakegate type string (``decimal(10,2)``, ``list<string>``), ``RegexPattern`` a regular
expression, ``TimeZoneName`` an IANA zone. Each reports a clear message located by the spec loader.
"""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

from lakegate.errors import SchemaError
from lakegate.schemas.types import parse_type


def check_type_name(value: str) -> str:
    try:
        parse_type(value)
    except SchemaError as exc:
        raise ValueError(exc.message) from None
    return value


def check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value


TypeName = Annotated[str, AfterValidator(check_type_name)]
RegexPattern = Annotated[str, AfterValidator(check_regex)]
TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
