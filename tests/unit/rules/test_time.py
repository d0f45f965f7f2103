"""Time rules: parse_timestamp, format_timestamp, convert_timezone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from lakegate.errors import RecordError, SpecError
from tests.helpers.pipeline import compile_error, compile_rules, run_rules


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def parsed(fields: str, rule: dict[str, Any], inputs: Sequence[object]) -> list[object]:
    """``t`` after parse_timestamp of column ``v`` for each input (all must parse)."""
    out = run_rules(fields, [{"type": "parse_timestamp", "column": "v", "into": "t", **rule}], [{"v": v} for v in inputs])
    assert out.dlq == [], out.dlq
    assert out.fields[-1] == ("t", "timestamp", False)
    return out.column("t")


# --- parse_timestamp: epochs ----------------------------------------------------------------


def test_epoch_seconds_from_integers_and_fractions_before_and_after_1970() -> None:
    assert parsed("v long", {"format": "epoch_s"}, [0, 1_700_000_000, -1, None]) == [
        utc(1970, 1, 1), utc(2023, 11, 14, 22, 13, 20), utc(1969, 12, 31, 23, 59, 59), None,
    ]  # fmt: skip
    assert parsed("v double", {"format": "epoch_s"}, [1.5, -1.5, 1_700_000_000.123456]) == [
        utc(1970, 1, 1, 0, 0, 1, 500_000), utc(1969, 12, 31, 23, 59, 58, 500_000),
        utc(2023, 11, 14, 22, 13, 20, 123_456),
    ]  # fmt: skip


def test_epoch_milliseconds_microseconds_and_nanoseconds() -> None:
    assert parsed("v long", {"format": "epoch_ms"}, [1_700_000_000_123, -1]) == [
        utc(2023, 11, 14, 22, 13, 20, 123_000), utc(1969, 12, 31, 23, 59, 59, 999_000),
    ]  # fmt: skip
    assert parsed("v long", {"format": "epoch_us"}, [1_700_000_000_123_456, -1]) == [
        utc(2023, 11, 14, 22, 13, 20, 123_456), utc(1969, 12, 31, 23, 59, 59, 999_999),
    ]  # fmt: skip


def test_epoch_nanoseconds_round_down_to_microseconds_also_before_1970() -> None:
    assert parsed("v long", {"format": "epoch_ns"}, [1_700_000_000_123_456_789, 1_999, -1, -1_000, -1_001]) == [
        utc(2023, 11, 14, 22, 13, 20, 123_456),
        utc(1970, 1, 1, 0, 0, 0, 1),
        utc(1969, 12, 31, 23, 59, 59, 999_999),
        utc(1969, 12, 31, 23, 59, 59, 999_999),
        utc(1969, 12, 31, 23, 59, 59, 999_998),
    ]


def test_epoch_from_strings_and_fractional_milliseconds() -> None:
    assert parsed("v string", {"format": "epoch_ms"}, ["1700000000123", "-1.5", " 5 "]) == [
        utc(2023, 11, 14, 22, 13, 20, 123_000), utc(1969, 12, 31, 23, 59, 59, 998_500), utc(1970, 1, 1, 0, 0, 0, 5_000),
    ]  # fmt: skip
    assert parsed("v string", {"format": "epoch_ns"}, ["1700000000123456789"]) == [utc(2023, 11, 14, 22, 13, 20, 123_456)]


def test_unparseable_or_out_of_range_epochs_go_to_the_dlq() -> None:
    rule = {"type": "parse_timestamp", "column": "v", "format": "epoch_ms", "into": "t"}
    out = run_rules("v string", [rule], [{"v": "abc"}, {"v": ""}, {"v": "1e30"}, {"v": None}, {"v": "0"}])
    assert out.column("t") == [None, utc(1970, 1, 1)]
    assert out.dlq == [
        {"stage": "convert", "rule": "parse_timestamp_1", "error": "cannot parse v as epoch_ms: abc"},
        {"stage": "convert", "rule": "parse_timestamp_1", "error": "cannot parse v as epoch_ms: "},
        {"stage": "convert", "rule": "parse_timestamp_1", "error": "cannot parse v as epoch_ms: 1e30"},
    ]
    out = run_rules("v long", [{**rule, "format": "epoch_s"}], [{"v": 10**17}])
    assert out.errors == ["cannot parse v as epoch_s: 100000000000000000"]


def test_epoch_needs_a_number_or_string_column() -> None:
    err = compile_error("v date", [{"type": "parse_timestamp", "column": "v", "format": "epoch_s"}])
    assert err.message == "column 'v' is date, but this rule needs int or long or float or double or decimal or string"


# --- parse_timestamp: strings ---------------------------------------------------------------


def test_iso8601_with_and_without_offsets_in_utc() -> None:
    inputs = [
        "2024-03-10T12:00:00Z", "2024-03-10T12:00:00+02:00", "2024-03-10T12:00:00-0530",
        "2024-03-10 12:00:00", "2024-03-10T12:00:00.123456789Z", "2024-03-10",
    ]  # fmt: skip
    assert parsed("v string", {}, inputs) == [
        utc(2024, 3, 10, 12), utc(2024, 3, 10, 10), utc(2024, 3, 10, 17, 30),
        utc(2024, 3, 10, 12), utc(2024, 3, 10, 12, 0, 0, 123_456), utc(2024, 3, 10),
    ]  # fmt: skip


def test_iso8601_without_offset_is_read_in_the_given_zone_with_an_offset_as_written() -> None:
    rule = {"timezone": "America/New_York"}
    inputs = [
        "2024-03-09T12:00:00",  # EST, UTC-5
        "2024-03-11T12:00:00",  # EDT, UTC-4 (DST began on March 10)
        "2024-03-11",  # midnight in New York
        "2024-03-11T12:00:00Z",
        "2024-03-11T12:00:00+02:00",
        "2024-03-11T12:00:00+02",
        "2024-03-11T12:00:00.5-0530",
    ]
    assert parsed("v string", rule, inputs) == [
        utc(2024, 3, 9, 17), utc(2024, 3, 11, 16), utc(2024, 3, 11, 4), utc(2024, 3, 11, 12),
        utc(2024, 3, 11, 10), utc(2024, 3, 11, 10), utc(2024, 3, 11, 17, 30, 0, 500_000),
    ]  # fmt: skip


def test_iso8601_with_a_zone_name_is_not_a_timestamp() -> None:
    # Offsets only (lakegate.rules.conversions): a zone name after the time is not understood.
    rules = [{"type": "parse_timestamp", "column": "v", "timezone": "America/New_York", "into": "t"}]
    out = run_rules("v string", rules, [{"v": "2024-03-11T12:00:00 UTC"}, {"v": "2024-03-11 12:00 Europe/Paris"}])
    assert [d["stage"] for d in out.dlq] == ["convert", "convert"] and out.rows == []


def test_strptime_format_in_utc_and_in_a_zone() -> None:
    fmt = "%d/%m/%Y %H:%M"
    assert parsed("v string", {"format": fmt}, ["31/12/2023 23:59", None]) == [utc(2023, 12, 31, 23, 59), None]
    assert parsed("v string", {"format": fmt, "timezone": "Europe/Berlin"}, ["31/12/2023 23:59", "01/07/2023 12:00"]) == [
        utc(2023, 12, 31, 22, 59), utc(2023, 7, 1, 10),
    ]  # fmt: skip
    with_offset = {"format": "%Y-%m-%d %H:%M:%S %z", "timezone": "Europe/Berlin"}
    assert parsed("v string", with_offset, ["2023-07-01 12:00:00 +0300"]) == [utc(2023, 7, 1, 9)]


def test_unparseable_strings_go_to_the_dlq_under_each_on_error_mode() -> None:
    rule = {"type": "parse_timestamp", "column": "v", "format": "%d/%m/%Y", "into": "t"}
    records = [{"v": "31/12/2023"}, {"v": "2023-12-31"}, {"v": ""}]
    out = run_rules("v string", [rule], records)
    assert out.column("t") == [utc(2023, 12, 31)]
    assert out.errors == ["cannot parse v as %d/%m/%Y: 2023-12-31", "cannot parse v as %d/%m/%Y: "]
    out = run_rules("v string", [{**rule, "on_error": "null"}], records)
    assert out.column("t") == [utc(2023, 12, 31), None, None]
    with pytest.raises(RecordError, match="cannot parse v as %d/%m/%Y: 2023-12-31"):
        run_rules("v string", [{**rule, "on_error": "fail"}], records)
    out = run_rules("v string", [{"type": "parse_timestamp", "column": "v"}], [{"v": "nope"}, {"v": "2024-13-01"}])
    assert out.errors == ["cannot parse v as iso8601: nope", "cannot parse v as iso8601: 2024-13-01"]


def test_string_formats_need_a_string_column_and_a_known_zone() -> None:
    err = compile_error("v long", [{"type": "parse_timestamp", "column": "v"}])
    assert err.message == "column 'v' is long, but this rule needs string"
    with pytest.raises(SpecError, match="unknown time zone 'Mars/Olympus'"):
        compile_rules("v string", [{"type": "parse_timestamp", "column": "v", "timezone": "Mars/Olympus"}])


# --- format_timestamp -----------------------------------------------------------------------


def formatted(fields: str, rule: dict[str, Any], inputs: Sequence[object]) -> list[object]:
    out = run_rules(fields, [{"type": "format_timestamp", "column": "v", "into": "s", **rule}], [{"v": v} for v in inputs])
    assert out.dlq == []
    assert out.fields[-1] == ("s", "string", False)
    return out.column("s")


def test_format_timestamp_in_utc_by_default() -> None:
    assert formatted("v timestamp", {}, ["2024-01-15T23:30:00.5Z", None]) == ["2024-01-15T23:30:00", None]


def test_format_timestamp_in_a_zone_across_dst_and_date_boundaries() -> None:
    rule = {"format": "%Y-%m-%d %H:%M", "timezone": "Europe/Berlin"}
    inputs = ["2024-01-15T23:30:00Z", "2024-07-15T23:30:00Z", "2024-03-31T00:59:00Z", "2024-03-31T01:00:00Z"]
    assert formatted("v timestamp", rule, inputs) == [
        "2024-01-16 00:30", "2024-07-16 01:30", "2024-03-31 01:59", "2024-03-31 03:00",
    ]  # fmt: skip


def test_format_timestamp_offsets_with_percent_z() -> None:
    rule = {"format": "%Y-%m-%dT%H:%M:%S%z", "timezone": "Europe/Berlin"}
    assert formatted("v timestamp", rule, ["2024-01-15T12:00:00Z", "2024-07-15T12:00:00Z", None]) == [
        "2024-01-15T13:00:00+0100", "2024-07-15T14:00:00+0200", None,
    ]  # fmt: skip
    assert formatted("v timestamp", {"format": "%H:%M %z", "timezone": "America/New_York"}, ["2024-01-15T12:00:00Z"]) == [
        "07:00 -0500"
    ]
    assert formatted("v timestamp", {"format": "%z|%H:%M", "timezone": "Asia/Kolkata"}, ["2024-01-15T12:00:00Z"]) == [
        "+0530|17:30"
    ]
    assert formatted("v timestamp", {"format": "%H:%M:%S.%f %z %Z"}, ["2024-01-15T12:00:00.25Z"]) == [
        "12:00:00.250000 +0000 UTC"
    ]
    assert formatted("v timestamp", {"format": "100%% at %H"}, ["2024-01-15T12:00:00Z"]) == ["100% at 12"]


def test_format_timestamp_rejects_zone_abbreviations_outside_utc_and_offsets_of_wall_times() -> None:
    err = compile_error("v timestamp", [{"type": "format_timestamp", "column": "v", "format": "%H %Z", "timezone": "Europe/Berlin"}])
    assert err.message == "%Z (a zone abbreviation) is only supported for timezone UTC"
    err = compile_error("v timestamp_ntz", [{"type": "format_timestamp", "column": "v", "format": "%H %z"}])
    assert err.message == "a timestamp_ntz has no time zone to render with %z or %Z"


def test_format_wall_clock_times_and_dates_ignore_the_zone() -> None:
    rule = {"format": "%d.%m.%Y %H:%M", "timezone": "Asia/Tokyo"}
    assert formatted("v timestamp_ntz", rule, ["2024-01-15T23:30:00", None]) == ["15.01.2024 23:30", None]
    assert formatted("v date", {"format": "%d.%m.%Y"}, ["2024-02-29"]) == ["29.02.2024"]


def test_format_timestamp_needs_a_time_column() -> None:
    err = compile_error("v string", [{"type": "format_timestamp", "column": "v"}])
    assert err.message == "column 'v' is string, but this rule needs timestamp or timestamp_ntz or date"


# --- convert_timezone -----------------------------------------------------------------------


def test_instant_to_wall_clock_across_both_dst_changes() -> None:
    rule = {"type": "convert_timezone", "column": "v", "to": "Europe/Berlin", "into": "w"}
    inputs = [
        "2024-03-31T00:59:59Z",  # CET, +1
        "2024-03-31T01:00:00Z",  # CEST, +2: 02:00-03:00 local does not exist
        "2024-10-27T00:30:00Z",  # CEST: first 02:30
        "2024-10-27T01:30:00Z",  # CET: second 02:30
        None,
    ]
    out = run_rules("v timestamp", [rule], [{"v": v} for v in inputs])
    assert out.column("w") == [
        datetime(2024, 3, 31, 1, 59, 59), datetime(2024, 3, 31, 3), datetime(2024, 10, 27, 2, 30),
        datetime(2024, 10, 27, 2, 30), None,
    ]  # fmt: skip
    assert out.fields[-1] == ("w", "timestamp_ntz", False)


def test_wall_clock_to_instant_across_both_dst_changes() -> None:
    rule = {"type": "convert_timezone", "column": "v", "from": "Europe/Berlin", "into": "i"}
    inputs = [
        "2024-03-31T01:59:59",
        "2024-03-31T03:00:00",
        "2024-10-27T01:59:59",  # CEST, before the clocks go back
        "2024-10-27T03:00:00",  # CET, after
        "2024-07-01T12:00:00",
        None,
    ]
    out = run_rules("v timestamp_ntz", [rule], [{"v": v} for v in inputs])
    assert out.column("i") == [
        utc(2024, 3, 31, 0, 59, 59), utc(2024, 3, 31, 1), utc(2024, 10, 26, 23, 59, 59),
        utc(2024, 10, 27, 2), utc(2024, 7, 1, 10), None,
    ]  # fmt: skip
    assert out.fields[-1] == ("i", "timestamp", False)


def test_convert_round_trip_gives_the_same_instant() -> None:
    rules = [
        {"type": "convert_timezone", "column": "v", "to": "Australia/Adelaide", "into": "w"},
        {"type": "convert_timezone", "column": "w", "from": "Australia/Adelaide", "into": "back"},
    ]
    out = run_rules("v timestamp", rules, [{"v": "2024-04-06T15:00:00Z"}, {"v": "2024-12-24T00:00:00Z"}])
    assert out.column("w") == [datetime(2024, 4, 7, 1, 30), datetime(2024, 12, 24, 10, 30)]
    assert out.column("back") == out.column("v")


def test_convert_timezone_direction_must_match_the_column_type() -> None:
    err = compile_error("v timestamp", [{"type": "convert_timezone", "column": "v", "from": "Europe/Berlin"}])
    assert err.message == "column 'v' is timestamp, but this rule needs timestamp_ntz"
    err = compile_error("v timestamp_ntz", [{"type": "convert_timezone", "column": "v", "to": "Europe/Berlin"}])
    assert err.message == "column 'v' is timestamp_ntz, but this rule needs timestamp"
    for rule in ({"to": "UTC", "from": "UTC"}, {}):
        with pytest.raises(SpecError, match="give exactly one of `to`"):
            compile_rules("v timestamp", [{"type": "convert_timezone", "column": "v", **rule}])
    with pytest.raises(SpecError, match="unknown time zone 'Europe/Berlinn'"):
        compile_rules("v timestamp", [{"type": "convert_timezone", "column": "v", "to": "Europe/Berlinn"}])


def test_format_date_null_stays_null() -> None:
    assert formatted("v date", {"format": "%Y"}, [None, "2024-01-01"]) == [None, "2024"]
