"""The pipeline spec: pydantic models that validate a pipeline YAML.

The same models generate the rule and connector docs (``lakegate rules``) and the JSON Schema of the
spec (``PipelineSpec.model_json_schema()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, field_validator

from lakegate.connectors.config import RetryPolicy, StrictModel
from lakegate.connectors.iceberg.config import CatalogSpec
from lakegate.connectors.registry import SINK_CONFIG_MODELS
from lakegate.connectors.sources import SOURCE_CONFIG_MODELS
from lakegate.rules import RULE_MODELS
from lakegate.rules.base import Rule
from lakegate.rules.options import check_type_name

if TYPE_CHECKING:  # the unions are built from registries at run time; type checkers see the bases
    RuleSpec = Rule
    SinkSpec = Any
    SourceSpec = Any
else:
    RuleSpec = Annotated[Union[RULE_MODELS], Field(discriminator="type")]  # noqa: UP007
    SinkSpec = Annotated[Union[SINK_CONFIG_MODELS], Field(discriminator="type")]  # noqa: UP007
    SourceSpec = Annotated[Union[SOURCE_CONFIG_MODELS], Field(discriminator="type")]  # noqa: UP007


class FieldSpec(StrictModel):
    """One field of a schema."""

    name: str = Field(description="Field name, as it appears in the JSON records.")
    type: str = Field(
        description="string, boolean, int, long, float, double, decimal(p,s), date, timestamp, "
        "timestamp_ntz, binary, struct<a: t, ...>, list<t>, map<k, v>; or `struct` with `fields`."
    )
    required: bool = Field(False, description="A record without a value goes to the DLQ.")
    default: Any = Field(None, description="Value used when the field is missing or null.")
    fields: list[FieldSpec] | None = Field(
        None, description="Sub-fields when `type: struct` (an alternative to `struct<...>`)."
    )
    description: str | None = Field(None, description="Documentation only.")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return value if value.strip().lower() == "struct" else check_type_name(value)


class SchemaSpec(StrictModel):
    """A named, versioned schema of the records a source delivers."""

    version: int = Field(1, ge=1, description="Schema version (recorded in metadata).")
    fields: list[FieldSpec] = Field(min_length=1, description="The fields, in order.")
    description: str | None = Field(None, description="Documentation only.")


class TransformSpec(StrictModel):
    """One source → an ordered list of rules → one or more sinks."""

    source: str = Field(description="Name of the source this transform reads.")
    rules: list[RuleSpec] = Field(default_factory=list, description="Rules applied in order.")
    sinks: list[str] = Field(min_length=1, description="Sinks every surviving row is written to.")
    enabled: bool = Field(True, description="A disabled transform is validated but not run.")
    description: str | None = Field(None, description="Documentation only.")


class Settings(StrictModel):
    """Engine settings."""

    state_dir: str = Field(
        ".lakegate",
        description="Local state: the default Iceberg catalog and warehouse, file-sink commit logs and "
        "the default DLQ. Relative to the pipeline file.",
    )
    threads: int = Field(2, gt=0, description="Threads DuckDB may use to evaluate rules.")
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy,
        description="Retries of transient sink failures (a database restarting, a network blip).",
    )


class PipelineSpec(StrictModel):
    """A whole pipeline."""

    pipeline: str = Field(description="Pipeline name (recorded with commits and in metadata).")
    version: str = Field("1", description="Rule-set version, recorded by `add_metadata`.")
    description: str | None = Field(None, description="Documentation only.")
    settings: Settings = Field(default_factory=Settings, description="Engine settings.")
    catalogs: dict[str, CatalogSpec] = Field(
        default_factory=dict,
        description="Iceberg catalogs by name. `default` is a SQLite catalog in the state dir.",
    )
    schemas: dict[str, SchemaSpec] = Field(default_factory=dict, description="Schemas by name.")
    sources: dict[str, SourceSpec] = Field(min_length=1, description="Sources by name.")
    transforms: dict[str, TransformSpec] = Field(min_length=1, description="Transforms by name.")
    sinks: dict[str, SinkSpec] = Field(min_length=1, description="Sinks by name.")
    dlq: SinkSpec | None = Field(
        None,
        description="Where records that cannot be processed go, with the reason. Default: JSON-lines "
        "files in `<state_dir>/dlq`.",
    )
