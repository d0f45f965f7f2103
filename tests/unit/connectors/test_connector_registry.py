"""The sink registry: lazy built-ins, plug-ins by entry point, "did you mean" for typos."""

from __future__ import annotations

import typing
from typing import Annotated, Any, Union

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from lakegate.connectors.base import Delivery, Sink
from lakegate.connectors.config import CommitPolicy
from lakegate.connectors.iceberg.config import CatalogSpec
from lakegate.connectors.registry import BUILTIN_SINKS, SINK_CONFIG_MODELS, available_sinks, load_sink_class
from lakegate.errors import RegistryError


@pytest.mark.parametrize("type_name", sorted(BUILTIN_SINKS))
def test_builtin_sinks_load(type_name: str) -> None:
    cls = load_sink_class(type_name)
    assert issubclass(cls, Sink)
    assert type_name in available_sinks()


def test_capabilities_are_truthful() -> None:
    stdout = load_sink_class("stdout").capabilities
    assert stdout.delivery is Delivery.AT_LEAST_ONCE
    assert not stdout.queryable
    iceberg = load_sink_class("iceberg").capabilities
    assert iceberg.delivery is Delivery.EXACTLY_ONCE
    assert iceberg.partitioning and iceberg.queryable
    assert not iceberg.schema_evolution and not iceberg.upsert
    for name in ("parquet", "jsonl", "duckdb"):
        caps = load_sink_class(name).capabilities
        assert caps.delivery is Delivery.EXACTLY_ONCE and caps.queryable and not caps.partitioning


def test_unknown_sink_suggests_a_name() -> None:
    with pytest.raises(RegistryError, match="unknown sink type 'parquett'") as info:
        load_sink_class("parquett")
    assert "did you mean 'parquet'?" in str(info.value)
    with pytest.raises(RegistryError) as info:
        load_sink_class("zzzz")
    assert "known sink types: duckdb, iceberg, jsonl, kafka, parquet, postgres, stdout" in str(info.value)


def test_config_models_form_a_discriminated_union() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(
        Annotated[Union[SINK_CONFIG_MODELS], Field(discriminator="type")]  # type: ignore[valid-type,arg-type]  # noqa: UP007
    )
    parsed = adapter.validate_python({"type": "parquet", "path": "out", "commit": {"every_records": 10}})
    assert parsed.compression == "zstd"
    assert parsed.commit.every_records == 10
    assert adapter.validate_python({"type": "stdout"}).commit == CommitPolicy()
    assert [typing.get_args(m.model_fields["type"].annotation)[0] for m in SINK_CONFIG_MODELS] == [
        "iceberg",
        "parquet",
        "jsonl",
        "duckdb",
        "postgres",
        "stdout",
        "kafka",
    ]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        adapter.validate_python({"type": "jsonl", "path": "x", "pth": "y"})
    with pytest.raises(ValidationError, match="invalid table name"):
        adapter.validate_python({"type": "duckdb", "path": "x.duckdb", "table": "drop table"})
    with pytest.raises(ValidationError):
        adapter.validate_python({"type": "parquet", "path": "x", "compression": "lzma"})


@pytest.mark.parametrize("model", [*SINK_CONFIG_MODELS, CatalogSpec])
def test_every_field_is_described(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name} has no description"
    assert model.model_json_schema()["properties"]
