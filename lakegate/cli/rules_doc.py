"""`lakegate rules`: each rule with its summary, options (from the models) and an example."""

from __future__ import annotations

from pydantic import BaseModel

from lakegate.errors import RegistryError
from lakegate.rules import RULES
from lakegate.suggest import did_you_mean

COMMON = {"type", "name", "description"}


def _options(model: type[BaseModel]) -> list[str]:
    lines = []
    for name, info in model.model_fields.items():
        if name in COMMON:
            continue
        key = info.alias or name
        default = "" if info.is_required() else f" (default: {info.get_default(call_default_factory=True)!r})"
        required = " [required]" if info.is_required() else ""
        lines.append(f"    {key}{required}{default}: {info.description or ''}")
    return lines


def render_rules(only: str | None = None) -> str:
    """The documentation of every rule, or of ``only``."""
    if only is not None and only not in RULES:
        raise RegistryError(f"unknown rule {only!r}{did_you_mean(only, RULES)}", hint="lakegate rules lists them")
    parts = []
    for name, model in RULES.items():
        if only is not None and name != only:
            continue
        example = "\n".join("    " + line for line in model.example.splitlines())
        parts.append(
            "\n".join(
                [f"{name} — {model.summary}", "  options:", *_options(model),
                 "    name: rule name for errors and the DLQ (default: <type>_<position>)",
                 "  example:", example]
            )
        )
    return "\n\n".join(parts)
