"""The embedded engine: one process, micro-batches of Arrow record batches, rules evaluated by DuckDB."""

from lakegate.engine.local.runner import PipelineRunner, RunOptions

__all__ = ["PipelineRunner", "RunOptions"]
