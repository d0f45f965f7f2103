"""Privacy rules: mask, hash, redact."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from lakegate.errors import SpecError
from tests.helpers.pipeline import compile_error, compile_rules, run_rules

FIELDS = "s string, n long"
SALT = {"LAKEGATE_HASH_SALT": "pepper"}


def masked(rule: dict[str, Any], inputs: list[str | None]) -> list[object]:
    out = run_rules(FIELDS, [{"type": "mask", "columns": ["s"], **rule}], [{"s": v} for v in inputs])
    assert out.dlq == []
    return out.column("s")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- mask -----------------------------------------------------------------------------------


def test_mask_keeps_the_last_characters() -> None:
    assert masked({"keep_last": 4}, ["4111111111111111", "12345"]) == ["************1111", "*2345"]


def test_mask_keeps_the_first_characters() -> None:
    assert masked({"keep_first": 3}, ["4111111111111111", "1234", "123"]) == ["411*************", "123*", "***"]


def test_mask_masks_whole_values_not_longer_than_what_would_stay_visible() -> None:
    assert masked({"keep_last": 4}, ["1234", "123", "1", ""]) == ["****", "***", "*", ""]
    rule = {"keep_first": 2, "keep_last": 2, "char": "#"}
    assert masked(rule, ["abcdef", "abcde", "abcd", "abc"]) == ["ab##ef", "ab#de", "####", "###"]


def test_mask_everything_by_default_and_nulls_stay_null() -> None:
    assert masked({}, ["secret", "", None]) == ["******", "", None]


def test_mask_counts_characters_not_bytes() -> None:
    assert masked({"keep_first": 1, "keep_last": 1}, ["ñandú😀", "é😀"]) == ["ñ****😀", "**"]


def test_mask_rejects_non_string_columns_and_long_mask_characters() -> None:
    err = compile_error(FIELDS, [{"type": "mask", "columns": ["n"]}])
    assert err.message == "column 'n' is long, but this rule needs string"
    with pytest.raises(SpecError, match="char"):
        compile_rules(FIELDS, [{"type": "mask", "columns": ["s"], "char": "**"}])
    with pytest.raises(SpecError, match="keep_last"):
        compile_rules(FIELDS, [{"type": "mask", "columns": ["s"], "keep_last": -1}])


# --- hash -----------------------------------------------------------------------------------


def test_hash_is_the_salted_sha256_of_the_text_and_nulls_stay_null() -> None:
    out = run_rules(
        FIELDS,
        [{"type": "hash", "columns": ["s", "n"]}],
        [{"s": "ann@example.com", "n": 42}, {"s": None, "n": None}, {"s": "", "n": -1}, {"s": "ñ"}],
        env=SALT,
    )
    assert out.rows == [
        {"s": sha("pepperann@example.com"), "n": sha("pepper42")},
        {"s": None, "n": None},
        {"s": sha("pepper"), "n": sha("pepper-1")},
        {"s": sha("pepperñ"), "n": None},
    ]
    assert out.fields == [("s", "string", False), ("n", "string", False)]


def test_hash_is_deterministic_and_depends_on_the_salt() -> None:
    records = [{"s": "same"}, {"s": "same"}, {"s": "other"}]
    first = run_rules(FIELDS, [{"type": "hash", "columns": ["s"]}], records, env=SALT).column("s")
    again = run_rules(FIELDS, [{"type": "hash", "columns": ["s"]}], records, env=SALT).column("s")
    salted = run_rules(FIELDS, [{"type": "hash", "columns": ["s"]}], records, env={"LAKEGATE_HASH_SALT": "salt"})
    assert first == again
    assert first[0] == first[1] != first[2]
    assert salted.column("s")[0] != first[0]
    assert salted.column("s")[0] == sha("saltsame")


def test_hash_salt_comes_from_a_named_variable_and_never_appears_in_the_sql() -> None:
    rule = {"type": "hash", "columns": ["s"], "salt_env": "MY_SALT"}
    secret = "x'); DROP TABLE t; --"
    out = run_rules(FIELDS, [rule], [{"s": "v"}], env={"MY_SALT": secret})
    assert out.column("s") == [sha(secret + "v")]
    plan = compile_rules(FIELDS, [rule], env={"MY_SALT": secret})
    sql = "\n".join(seg.sql or "" for seg in plan.transforms["t"].segments)
    assert secret not in sql and "$secret_MY_SALT" in sql
    assert plan.transforms["t"].secrets == ["MY_SALT"]


def test_hash_without_its_salt_variable_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "hash", "columns": ["s"]}])
    assert err.message == "environment variable LAKEGATE_HASH_SALT is not set; the hash rule takes its salt from it"
    assert err.hint == "export LAKEGATE_HASH_SALT=..."
    err = compile_error(FIELDS, [{"type": "hash", "columns": ["s"]}], env={"LAKEGATE_HASH_SALT": ""})
    assert err.message.startswith("environment variable LAKEGATE_HASH_SALT is not set")


def test_hash_of_an_unknown_column_is_a_compile_error() -> None:
    err = compile_error(FIELDS, [{"type": "hash", "columns": ["email"]}], env=SALT)
    assert err.message == "unknown column 'email'"


# --- redact ---------------------------------------------------------------------------------


def redacted(rule: dict[str, Any], inputs: list[str | None]) -> list[object]:
    out = run_rules(FIELDS, [{"type": "redact", "columns": ["s"], **rule}], [{"s": v} for v in inputs])
    assert out.dlq == []
    return out.column("s")


def test_redact_whole_values_but_not_nulls() -> None:
    assert redacted({}, ["secret", "", None]) == ["[REDACTED]", "[REDACTED]", None]


def test_redact_only_the_parts_matching_patterns() -> None:
    rule = {"patterns": [r"[\w.]+@[\w.]+", r"\d{3}-\d{4}"], "replacement": "<x>"}
    inputs = ["mail a.b@c.d or call 555-1234, 555-9999", "nothing", "", None]
    assert redacted(rule, inputs) == ["mail <x> or call <x>, <x>", "nothing", "", None]


def test_redact_replacement_is_plain_text() -> None:
    assert redacted({"patterns": [r"(\d)"], "replacement": r"\1\0$1"}, ["a1"]) == [r"a\1\0$1"]


def test_redact_rejects_invalid_patterns_and_non_string_columns() -> None:
    with pytest.raises(SpecError, match="invalid regular expression"):
        compile_rules(FIELDS, [{"type": "redact", "columns": ["s"], "patterns": ["(unclosed"]}])
    err = compile_error(FIELDS, [{"type": "redact", "columns": ["n"]}])
    assert err.message == "column 'n' is long, but this rule needs string"
