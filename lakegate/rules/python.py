"""The python rule: a user's transformer class that receives and returns Arrow record batches."""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import pyarrow as pa
from pydantic import Field

from lakegate.plan.steps import PythonCall, Step
from lakegate.rules.base import LoweringContext, Rule


@runtime_checkable
class Transformer(Protocol):
    """What a Python transformer implements.

    ``transform`` receives a batch of the visible columns and returns a batch with the **same number
    of rows, in the same order** (drop rows with a following `filter` rule on a flag column). The
    output schema is taken from an optional ``output_schema(input_schema)`` method, or else from
    calling ``transform`` on an empty batch. An exception sends the whole batch to the DLQ.
    """

    def transform(self, batch: pa.RecordBatch) -> pa.RecordBatch: ...


def load_transformer(path: str, options: dict[str, Any]) -> Any:
    """Import ``package.module.Class`` (or ``package.module:Class``) and instantiate it."""
    module_name, _, class_name = path.replace(":", ".").rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path such as mypkg.transforms.MyTransformer")
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise ImportError(f"module {module_name!r} has no attribute {class_name!r}")
    return cls(**options)


class Python(Rule):
    type: Literal["python"]
    class_: str = Field(alias="class", description="Dotted path of the transformer class.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments for the class constructor."
    )

    summary: ClassVar[str] = "Escape hatch: a Python class transforming Arrow record batches (vectorised)."
    example: ClassVar[str] = (
        "- type: python\n  class: my_transforms.ScoreBids\n  options: {threshold: 0.8}"
    )

    def lower(self, ctx: LoweringContext) -> list[Step]:
        try:
            transformer = load_transformer(self.class_, self.options)
        except Exception as exc:  # any import-time error of user code
            raise ctx.error(
                f"cannot load transformer {self.class_!r}: {exc}",
                hint="the module must be importable (on PYTHONPATH, or beside the pipeline file)",
            ) from None
        if not isinstance(transformer, Transformer):
            raise ctx.error(f"{self.class_!r} has no transform(batch) method")
        return [PythonCall(ctx.rule, transformer=transformer, class_path=self.class_)]
