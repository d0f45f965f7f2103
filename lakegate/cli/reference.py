"""Generate the reference docs (docs/reference.md, docs/pipeline.schema.json) from the config models.

The same pydantic models validate pipelines, so the docs cannot drift from the code: a unit test
checks the committed files equal what this module renders (`make docs` rewrites them).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from pydantic import BaseModel

from lakegate.connectors.iceberg.config import CatalogSpec
from lakegate.connectors.registry import SINK_CONFIG_MODELS
from lakegate.connectors.sources import SOURCE_CONFIG_MODELS
from lakegate.rules import RULES
from lakegate.spec.models import FieldSpec, PipelineSpec, SchemaSpec, Settings, TransformSpec

COMMON = {"type", "name", "description"}


def _type_name(model: type[BaseModel]) -> str:
    field = model.model_fields.get("type")
    args = getattr(field.annotation, "__args__", ()) if field else ()
    return str(args[0]) if args else model.__name__


def _table(model: type[BaseModel], skip: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    rows = ["| option | required | default | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        default = "" if info.is_required() else f"`{info.get_default(call_default_factory=True)!r}`"
        description = (info.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{info.alias or name}` | {'yes' if info.is_required() else ''} | {default} | {description} |")
    return rows


def render_reference() -> str:
    """docs/reference.md."""
    out = [
        "# lakegate reference",
        "",
        "Generated from the config models by `make docs`; do not edit by hand.",
        "",
        "## Pipeline",
        "",
        *_table(PipelineSpec),
        "",
        "### settings",
        "",
        *_table(Settings),
        "",
        "### schemas.&lt;name&gt;",
        "",
        *_table(SchemaSpec),
        "",
        "#### fields[]",
        "",
        *_table(FieldSpec),
        "",
        "### transforms.&lt;name&gt;",
        "",
        *_table(TransformSpec),
        "",
        "### catalogs.&lt;name&gt;",
        "",
        *_table(CatalogSpec),
        "",
        "## Sources",
    ]
    connectors: list[type[BaseModel]] = [*SOURCE_CONFIG_MODELS]
    for source in connectors:
        out += ["", f"### `{_type_name(source)}`", "", inspect.cleandoc(source.__doc__ or ""), "", *_table(source)]
    out += ["", "## Sinks"]
    for sink in SINK_CONFIG_MODELS:
        out += ["", f"### `{_type_name(sink)}`", "", inspect.cleandoc(sink.__doc__ or ""), "", *_table(sink)]
    out += [
        "",
        "## Rules",
        "",
        "Every rule takes `type`, an optional `name` (used in errors, DLQ records and metrics; default "
        "`<type>_<position>`) and an optional `description`.",
    ]
    for name, rule in RULES.items():
        out += ["", f"### `{name}`", "", rule.summary, "", *_table(rule, COMMON), "", "```yaml", rule.example, "```"]
    return "\n".join(out) + "\n"


def render_json_schema() -> str:
    """docs/pipeline.schema.json: the JSON Schema of a pipeline file (for editors)."""
    return json.dumps(PipelineSpec.model_json_schema(by_alias=True), indent=2, sort_keys=True) + "\n"


def write_docs(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "reference.md").write_text(render_reference(), encoding="utf-8")
    (directory / "pipeline.schema.json").write_text(render_json_schema(), encoding="utf-8")


if __name__ == "__main__":
    write_docs(Path(__file__).resolve().parents[2] / "docs")
