"""``${VAR}`` and ``${VAR:-default}`` interpolation of environment variables in YAML strings."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from lakegate.errors import SpecError

_PATTERN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str] | None = None) -> str:
    """Replace ``${VAR}`` by the variable's value and ``${VAR:-default}`` by it or the default.

    ``$$`` is a literal ``$``. An unset variable without a default is a :class:`SpecError`.
    """
    values = os.environ if env is None else env

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = values.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise SpecError(
                    f"environment variable {name} is not set",
                    hint=f"export {name}=... or write ${{{name}:-default}} in the YAML",
                )
            return default
        return value

    return _PATTERN.sub(replace, text)
