"""Reading pipeline YAML into validated, located spec models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lakegate.errors import SpecError
from lakegate.spec.diagnostics import spec_error
from lakegate.spec.loader import SourceMap, load_yaml, load_yaml_text
from lakegate.spec.models import PipelineSpec
from lakegate.spec.references import check_references


@dataclass
class LoadedPipeline:
    """A validated pipeline with where it came from."""

    spec: PipelineSpec
    source_map: SourceMap
    path: Path

    @property
    def base_dir(self) -> Path:
        return self.path.parent.resolve()

    @property
    def state_dir(self) -> Path:
        p = Path(self.spec.settings.state_dir).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def validate_data(data: Any, source_map: SourceMap, path: Path) -> LoadedPipeline:
    """Validate parsed YAML data."""
    if not isinstance(data, dict):
        raise SpecError("a pipeline must be a YAML mapping", file=source_map.file, line=1)
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise spec_error(exc, PipelineSpec, data, source_map) from None
    except SpecError as exc:  # raised inside a validator (e.g. a bad type string)
        raise source_map.error((), exc.message, hint=exc.hint) from None
    check_references(spec, source_map)
    return LoadedPipeline(spec, source_map, path)


def load_pipeline(path: str | Path) -> LoadedPipeline:
    """Read, interpolate and validate a pipeline YAML file."""
    data, source_map = load_yaml(path)
    return validate_data(data, source_map, Path(path))


def load_pipeline_text(text: str, path: str | Path = "pipeline.yaml") -> LoadedPipeline:
    """Validate pipeline YAML given as text (``path`` names it in errors and anchors relative paths)."""
    data, source_map = load_yaml_text(text, str(path))
    return validate_data(data, source_map, Path(path))


__all__ = ["LoadedPipeline", "PipelineSpec", "load_pipeline", "load_pipeline_text"]
