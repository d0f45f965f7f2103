"""The config-test file format.

A file ``<pipeline>.tests.yaml`` beside the pipeline (or any file given with ``--cases``)::

    env:                             # optional: e.g. a fixed salt for `hash`
      LAKEGATE_HASH_SALT: test-salt
    cases:
      - name: heartbeats are dropped, bids are cleaned
        transform: bids_clean
        input:                       # JSON objects, or strings taken as raw payloads
          - {event_name: bid, user_id: 7, bid_amount: 1.5, timestamp_ms: 1700000000000}
          - {event_name: heartbeat, user_id: 7}
          - "{not json"
        expect:
          rows:                      # compared on the keys given, in order
            - {event_name: bid, user_id: 7}
          filtered: 1
          dlq:
            - {stage: decode, error: malformed JSON}
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lakegate.connectors.config import StrictModel


class ExpectedDeadLetter(StrictModel):
    """A DLQ record; only the keys given are compared (``error`` may be a prefix)."""

    stage: str | None = Field(None, description="decode, convert, validate, evaluate, python or sink.")
    rule: str | None = Field(None, description="Name of the rule that rejected the record.")
    error: str | None = Field(None, description="The reason, or its beginning.")


class Expectation(StrictModel):
    sink: str | None = Field(None, description="Which sink's rows `rows` describes; default: the first.")
    rows: list[dict[str, Any]] | None = Field(None, description="Expected rows, in order.")
    filtered: int | None = Field(None, description="Expected number of filtered records.")
    dlq: list[ExpectedDeadLetter] | None = Field(None, description="Expected DLQ records, in order.")


class Case(StrictModel):
    name: str = Field(description="What the case shows.")
    transform: str = Field(description="Transform under test.")
    input: list[Any] = Field(description="Records fed to the transform's source.")
    expect: Expectation = Field(description="What should come out.")


class CaseFile(StrictModel):
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables set for the tests (e.g. a fixed hash salt, so hashed values "
        "can be asserted); they override the process environment.",
    )
    cases: list[Case] = Field(min_length=1, description="The cases.")
