"""Sources and sinks. Each connector lives in ``connectors/<name>/`` with a light ``config.py``
(the pydantic model, imported when a spec is validated) and an implementation loaded lazily."""
