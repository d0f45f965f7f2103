"""lakegate: declarative, schema-aware streaming ETL.

A pipeline is described in YAML (sources, schemas, transforms made of rules, sinks, a dead-letter
queue), compiled to a typed plan, and run on the embedded Arrow engine.
"""

from lakegate.errors import CompileError, ConnectorError, LakegateError, SpecError

__version__ = "0.1.0"

__all__ = ["CompileError", "ConnectorError", "LakegateError", "SpecError", "__version__"]
