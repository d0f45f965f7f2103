"""The lakegate error hierarchy.

Every error lakegate raises on purpose derives from :class:`LakegateError`. Phase subclasses say where
it happened (reading the spec, compiling rules, talking to a connector, ...); the :class:`Transient` and
:class:`Terminal` mix-ins say what to do about it: retry a transient error, dead-letter or stop on a
terminal one. Errors carry context (file, line, rule, field, source coordinates) and render it in
``str(error)`` so the CLI can print one clear message.
"""

from __future__ import annotations

from typing import Any


class LakegateError(Exception):
    """Root of every error lakegate raises on purpose.

    ``hint`` tells the user what to do; ``context`` holds structured facts (file, line, column, rule,
    field, source, ...) that are printed before the message.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context = {k: v for k, v in context.items() if v is not None}

    def location(self) -> str:
        """``file:line:column`` (as much of it as is known), or an empty string."""
        parts = [str(self.context[k]) for k in ("file", "line", "column") if k in self.context]
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        facts = ", ".join(
            f"{k} {v}" for k, v in self.context.items() if k not in ("file", "line", "column")
        )
        text = f"{where}: {self.message}" if where else self.message
        if facts:
            text = f"{text} ({facts})"
        if self.hint:
            text = f"{text}\n  hint: {self.hint}"
        return text


class Transient:
    """Mix-in: the operation may succeed if retried (network blips, a restarting server)."""


class Terminal:
    """Mix-in: retrying cannot help; the record goes to the DLQ or the pipeline stops."""


class SpecError(LakegateError, Terminal):
    """The pipeline YAML is malformed or inconsistent. The CLI exits with status 2."""

    exit_code = 2


class CompileError(LakegateError, Terminal):
    """A rule does not type-check against its input schema, or a target cannot run it."""

    exit_code = 2


class SchemaError(LakegateError, Terminal):
    """A schema or type declaration is invalid."""

    exit_code = 2


class RegistryError(LakegateError, Terminal):
    """A component name (rule, connector, catalog) is unknown or cannot be loaded."""

    exit_code = 2


class MissingDependencyError(LakegateError, Terminal):
    """An optional dependency is not installed; the message carries the ``pip install`` line."""


class ConnectorError(LakegateError):
    """A source or sink failed. Combine with :class:`Transient` or :class:`Terminal`."""


class TransientConnectorError(ConnectorError, Transient):
    """A source or sink failed in a way that a retry may fix."""


class TerminalConnectorError(ConnectorError, Terminal):
    """A source or sink failed in a way that no retry will fix."""


class Fenced(ConnectorError):
    """Another process committed a stream this one was about to commit too (this one lost it): the
    commit is refused and the engine starts again from the stored positions (see
    :mod:`lakegate.connectors.fencing`). Retrying the same commit cannot help."""


class RecordError(LakegateError, Terminal):
    """One record cannot be processed; it belongs in the dead-letter queue."""


class ConfigTestFailure(LakegateError):
    """A config test (``lakegate test``) did not produce the expected rows."""
