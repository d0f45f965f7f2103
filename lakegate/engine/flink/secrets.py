"""Secret placeholders in generated Flink SQL: one syntax for the emitter, the table factories and the job.

No secret value is ever written into the SQL. A string literal holds ``${secret:NAME}`` instead (or
``${jaas-secret:NAME}`` inside a double-quoted JAAS option, where ``"`` and ``\\`` are escaped too):
the generated job replaces it when it starts, from the ``lakegate.secrets`` property group or the
environment variable ``NAME`` (:func:`lakegate.engine.flink.deploy.runtime.fill_secrets`, the one
implementation of the replacement). A rule's ``$secret_<VAR>`` (the salt of a ``hash`` rule) becomes
the literal ``'${secret:VAR}'``; passwords of connectors sit inside their option's literal.
"""

from __future__ import annotations

from collections.abc import Mapping

PLACEHOLDER = "${secret:%s}"
JAAS_PLACEHOLDER = "${jaas-secret:%s}"


def placeholder(name: str, *, jaas: bool = False) -> str:
    """The placeholder of secret ``name``, to be written inside a SQL string literal."""
    return (JAAS_PLACEHOLDER if jaas else PLACEHOLDER) % name


def secret_names(sql: str) -> list[str]:
    """The names of the secrets ``sql`` refers to, in order of first use."""
    from lakegate.engine.flink.deploy.runtime import SECRET  # the job's own parser (stdlib only)

    return list(dict.fromkeys(m.group(2) for m in SECRET.finditer(sql)))


def fill(sql: str, values: Mapping[str, str]) -> str:
    """``sql`` with every placeholder replaced by its value from ``values`` (escaped for its literal);
    raises :class:`KeyError` naming the secrets ``values`` lacks (or has empty)."""
    missing = [name for name in secret_names(sql) if not values.get(name)]
    if missing:
        raise KeyError(f"secrets not set: {', '.join(missing)}")
    from lakegate.engine.flink.deploy.runtime import fill_secrets

    return fill_secrets(sql, dict(values))
