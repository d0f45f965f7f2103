"""The pipeline spec: pydantic models that validate a pipeline YAML.

The same models generate the rule and connector docs (``lakegate rules``) and the JSON Schema of the
spec (``PipelineSpec.model_json_schema()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

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


class FlinkSettings(StrictModel):
    """How the job compiled by ``lakegate compile --target flink`` runs on Apache Flink.

    On AWS Managed Flink the service owns checkpointing and parallelism (set them in the application's
    ``FlinkApplicationConfiguration``); the generated job applies these settings everywhere else.
    """

    checkpoint_interval_seconds: float = Field(
        60.0, gt=0, description="Time between two checkpoints; sinks commit (Iceberg snapshots) on each."
    )
    checkpoint_mode: Literal["exactly_once", "at_least_once"] = Field(
        "exactly_once",
        description="Checkpointing mode: `exactly_once` (default) or `at_least_once` (lower latency; "
        "records may be written twice after a failure).",
    )
    checkpoint_timeout_seconds: float = Field(
        600.0, gt=0, description="A checkpoint that takes longer than this is aborted."
    )
    min_pause_between_checkpoints_seconds: float = Field(
        0.0, ge=0, description="Minimum pause between the end of one checkpoint and the start of the next."
    )
    parallelism: int | None = Field(
        None, gt=0, description="Default parallelism of the job's operators (default: the cluster's)."
    )
    configuration: dict[str, str] = Field(
        default_factory=dict,
        description="Further Flink configuration options set on the job, e.g. "
        "`{table.exec.sink.not-null-enforcer: DROP}`; they override the settings above.",
    )


class Settings(StrictModel):
    """Engine settings."""

    state_dir: str = Field(
        ".lakegate",
        description="Local state: the default Iceberg catalog and warehouse, file-sink commit logs and "
        "the default DLQ. Relative to the pipeline file.",
    )
    threads: int = Field(
        2,
        gt=0,
        description="Threads DuckDB may use to evaluate rules (a large batch of a pure-SQL transform is "
        "instead split into two halves evaluated on one thread each).",
    )
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy,
        description="Retries of transient sink failures (a database restarting, a network blip).",
    )
    flink: FlinkSettings = Field(
        default_factory=FlinkSettings,
        description="Checkpointing and parallelism of the Flink job (`lakegate compile --target flink`).",
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
