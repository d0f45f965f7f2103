"""Cross-references in a pipeline: every name used must be declared somewhere."""

from __future__ import annotations

from lakegate.spec.loader import SourceMap
from lakegate.spec.models import PipelineSpec
from lakegate.suggest import did_you_mean


def check_references(spec: PipelineSpec, source_map: SourceMap) -> None:
    """Raise a located :class:`~lakegate.errors.SpecError` for the first dangling reference."""

    def missing(path: tuple[str | int, ...], kind: str, name: str, known: list[str]) -> None:
        raise source_map.error(
            path,
            f"unknown {kind} {name!r}{did_you_mean(name, known)}",
            hint=f"declared {kind}s: " + (", ".join(known) or "none"),
        )

    for source_name, source in spec.sources.items():
        schema = getattr(source, "schema_", None) or getattr(source, "schema", None)
        if isinstance(schema, str) and schema not in spec.schemas:
            missing(("sources", source_name, "schema"), "schema", schema, list(spec.schemas))
    for name, transform in spec.transforms.items():
        if transform.source not in spec.sources:
            missing(("transforms", name, "source"), "source", transform.source, list(spec.sources))
        for i, sink in enumerate(transform.sinks):
            if sink not in spec.sinks:
                missing(("transforms", name, "sinks", i), "sink", sink, list(spec.sinks))
        for i, rule in enumerate(transform.rules):
            target = getattr(rule, "sink", None)
            if rule.type == "route" and target not in spec.sinks:
                missing(("transforms", name, "rules", i, "sink"), "sink", str(target), list(spec.sinks))
    for name, sink in spec.sinks.items():
        catalog = getattr(sink, "catalog", None)
        if sink.type == "iceberg" and catalog != "default" and catalog not in spec.catalogs:
            missing(("sinks", name, "catalog"), "catalog", str(catalog), ["default", *spec.catalogs])
