"""`lakegate explain`: the compiled plan in words, with the SQL of every transform."""

from __future__ import annotations

from lakegate.plan.model import Plan


def explain_plan(plan: Plan) -> str:
    """A readable description of ``plan``."""
    lines = [f"pipeline {plan.pipeline} (rule set version {plan.version})", ""]
    for name, source in plan.sources.items():
        lines.append(f"source {name} ({source.config.type}), schema {source.schema.name} v{source.schema.version}:")
        lines += ["  " + line for line in source.schema.describe().splitlines()]
    for name, t in plan.transforms.items():
        lines += ["", f"transform {name}: {t.source} → {', '.join(t.sinks)}"]
        if t.routes:
            lines.append(f"  routes to: {', '.join(t.routes)}")
        lines.append(f"  rules: {', '.join(t.rule_names) or '(none)'}")
        if t.secrets:
            lines.append(f"  secrets from the environment: {', '.join(t.secrets)}")
        for i, segment in enumerate(t.segments, 1):
            if segment.python is not None:
                lines.append(f"  segment {i}: python {segment.python.class_path} (rule {segment.python.rule})")
                continue
            lines.append(f"  segment {i}: SQL (rules {', '.join(dict.fromkeys(s.rule for s in segment.steps))})")
            lines += ["    " + line for line in (segment.sql or "").splitlines()]
        lines.append("  output:")
        lines += ["    " + line for line in t.output_schema.describe().splitlines()]
    lines.append("")
    for name, sink in plan.sinks.items():
        lines.append(f"sink {name} ({sink.config.type}) ← {', '.join(sink.transforms)}")
    lines.append(f"dead-letter queue: {plan.dlq.type}")
    return "\n".join(lines)
