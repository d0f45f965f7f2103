"""Entry point of a Flink job compiled by lakegate (``lakegate compile --target flink``).

This file is copied unchanged into the job as ``streaming_job.py``; what the job does is in
``job/pipeline.sql`` (the statements, commented) and ``job/job.json`` (settings, partition specs,
secrets). It needs only PyFlink and the Python standard library. It:

1. reads the runtime properties: ``/etc/flink/application_properties.json`` on AWS Managed Flink,
   else ``--properties FILE``, else ``application_properties.json`` beside this file;
2. creates a streaming TableEnvironment, sets the table options the SQL relies on (``job.json``
   ``table_configuration``: the UTC session time zone), then checkpointing (interval, mode:
   exactly-once by default), parallelism and further options from ``job.json``, overridden by the
   property group ``lakegate.flink`` (on Managed Flink the service owns these: set them in the application);
3. fills in ``${secret:NAME}`` placeholders from the property group ``lakegate.secrets`` or the
   environment variable ``NAME`` (no secret is stored in the generated files);
4. runs every DDL statement (catalogs, source, sink and DLQ tables, views), then checks and applies
   the Iceberg partition specs Flink SQL cannot declare (``day(ts)``, ``bucket(N, col)``, ...);
5. submits all INSERT statements as ONE statement set: one Flink job.

Run locally with ``python streaming_job.py --local`` (waits for the job; ``lib/pyflink-dependencies.jar``
must hold the connectors), or on a cluster with
``flink run -py streaming_job.py -j lib/pyflink-dependencies.jar``.

``python streaming_job.py --validate`` checks the SQL with Flink's own parser and planner without the
connector jar and without connecting to anything: Iceberg catalogs are replaced by in-memory ones,
every DDL statement is executed and every INSERT is validated in the statement set; only the
connectors themselves (and the Iceberg partition specs) are left unchecked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
MANAGED_FLINK_PROPERTIES = "/etc/flink/application_properties.json"
DEPENDENCY_JAR = os.path.join("lib", "pyflink-dependencies.jar")
SECRET = re.compile(r"\$\{(secret|jaas-secret):([A-Za-z0-9_]+)\}")


def log(message: str) -> None:
    """Job progress on stderr (Managed Flink sends it to CloudWatch)."""
    print(f"[lakegate] {message}", file=sys.stderr, flush=True)


# -- properties ---------------------------------------------------------------------------------------


def load_properties(path: str | None) -> tuple[list[dict[str, Any]], bool]:
    """The runtime property groups and whether the job runs on AWS Managed Flink."""
    if os.path.isfile(MANAGED_FLINK_PROPERTIES):
        path, managed = MANAGED_FLINK_PROPERTIES, True
    else:
        path, managed = path or os.path.join(HERE, "application_properties.json"), False
    if not os.path.isfile(path):
        log(f"no runtime properties at {path}; using the compiled settings")
        return [], managed
    with open(path, encoding="utf-8") as f:
        return json.load(f), managed


def property_group(groups: list[dict[str, Any]], group_id: str) -> dict[str, str]:
    """The ``PropertyMap`` of ``group_id`` (empty when absent)."""
    for group in groups:
        if group.get("PropertyGroupId") == group_id:
            return {k: str(v) for k, v in (group.get("PropertyMap") or {}).items()}
    return {}


# -- SQL text -----------------------------------------------------------------------------------------


def split_statements(text: str) -> list[str]:
    """Split a SQL script on ``;`` outside quotes, backticks and comments; comment-only parts are dropped."""
    statements, start, i, n = [], 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'`\"":
            i += 1
            while i < n:
                if text[i] == ch:
                    if text[i + 1 : i + 2] == ch:  # doubled quote: an escaped quote
                        i += 1
                    else:
                        break
                i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 1
        elif ch == ";":
            statements.append(text[start:i])
            start = i + 1
        i += 1
    statements.append(text[start:])
    return [s.strip() for s in statements if strip_comments(s).strip()]


def strip_comments(statement: str) -> str:
    """``statement`` without its leading comment lines (for recognising its kind)."""
    lines = statement.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines)


CREATE_CATALOG = re.compile(r"^CREATE\s+CATALOG\s+(`(?:[^`]|``)+`|\w+)", re.IGNORECASE)


def in_memory_catalog(statement: str) -> str | None:
    """For ``CREATE CATALOG x WITH (...)``: the same catalog as Flink's in-memory one (for --validate)."""
    match = CREATE_CATALOG.match(strip_comments(statement))
    return f"CREATE CATALOG {match.group(1)} WITH ('type' = 'generic_in_memory')" if match else None


def is_insert(statement: str) -> bool:
    """True for ``INSERT INTO`` / ``INSERT OVERWRITE`` statements (they go into the statement set)."""
    return strip_comments(statement).upper().startswith("INSERT")


def fill_secrets(sql: str, lookup: dict[str, str]) -> str:
    """Replace secret placeholders with their values, quoted for the SQL string they sit in."""
    missing = sorted({m.group(2) for m in SECRET.finditer(sql) if not lookup.get(m.group(2))})
    if missing:
        raise SystemExit(
            "[lakegate] missing secrets: " + ", ".join(missing) + ". Set them in the property group "
            "'lakegate.secrets' of the runtime properties or as environment variables."
        )

    def value(match: re.Match[str]) -> str:
        text = lookup[match.group(2)]
        if match.group(1) == "jaas-secret":
            text = text.replace("\\", "\\\\").replace('"', '\\"')
        return text.replace("'", "''")

    return SECRET.sub(value, sql)


def secret_values(names: list[str], groups: list[dict[str, Any]], environ: Mapping[str, str]) -> dict[str, str]:
    """The value of each secret ``job.json`` lists: from the property group ``lakegate.secrets``, else
    the environment variable of the same name (empty when neither has it)."""
    given = property_group(groups, "lakegate.secrets")
    return {name: given.get(name) or environ.get(name, "") for name in names}


# -- Iceberg partition specs --------------------------------------------------------------------------


def spec_action(current: list[tuple[str, str, str]], declared: list[dict[str, Any]], has_data: bool) -> str:
    """``ok`` when the table's spec is the declared one, ``apply`` when it may be set now (the table
    is unpartitioned and empty); else an error message. Fields are (name, transform, source column)."""
    wanted = [(f["name"], f["transform"], f["column"]) for f in declared]
    if current == wanted:
        return "ok"
    if not current and not has_data:
        return "apply"
    shown = ", ".join(f"{t}({c})" for _, t, c in current) or "unpartitioned"
    return (
        f"is partitioned as [{shown}] and holds data, but the pipeline declares "
        f"[{', '.join(f'{t}({c})' for _, t, c in wanted)}]; repartition or recreate it, or change partition_by"
    )


def ensure_partition_specs(t_env: Any, specs: list[dict[str, Any]]) -> None:
    """Check every declared Iceberg partition spec; set it on new tables (Iceberg Java API over py4j)."""
    if not specs:
        return
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    expressions = jvm.org.apache.iceberg.expressions.Expressions
    for spec in specs:
        catalog = t_env._j_tenv.getCatalog(spec["catalog"]).get().catalog()
        table = catalog.loadTable(jvm.org.apache.iceberg.catalog.TableIdentifier.parse(spec["table"]))
        schema = table.schema()
        current = [(f.name(), str(f.transform()), schema.findColumnName(f.sourceId())) for f in table.spec().fields()]
        action = spec_action(current, spec["fields"], table.currentSnapshot() is not None)
        where = f"Iceberg table {spec['catalog']}.{spec['table']} (sink {spec['sink']})"
        if action == "ok":
            continue
        if action != "apply":
            raise SystemExit(f"[lakegate] {where} {action}")
        update = table.updateSpec()
        for field in spec["fields"]:
            kind, column, param = field["transform"].split("[")[0], field["column"], field["param"]
            if kind == "identity":
                term = expressions.ref(column)
            elif kind in ("bucket", "truncate"):
                term = getattr(expressions, kind)(column, int(param))
            else:
                term = getattr(expressions, kind)(column)
            update = update.addField(field["name"], term)
        update.commit()
        log(f"{where}: partition spec set to {[f['transform'] + '(' + f['column'] + ')' for f in spec['fields']]}")


# -- the job ------------------------------------------------------------------------------------------


def set_options(t_env: Any, settings: dict[str, str]) -> None:
    """Set ``settings`` on the job's table configuration, logging each."""
    config = t_env.get_config()
    for key, value in settings.items():
        config.set(key, value)
        log(f"set {key} = {value}")


def configure(t_env: Any, settings: dict[str, str], managed: bool) -> None:
    """Set Flink options on the job (skipped on Managed Flink, which rejects most of them)."""
    if managed:
        log("on AWS Managed Flink: checkpointing and parallelism come from the application's configuration")
        return
    set_options(t_env, settings)


def run_statement(run: Any, statement: str) -> None:
    """``run(statement)``; a failure names the statement (its first comment line) before re-raising."""
    try:
        run(statement)
    except Exception:
        first = statement.strip().splitlines()[0]
        log(f"statement failed: {first}")
        raise


MISSING_CONNECTOR = re.compile(r"Could not find any (?:format )?factory for identifier '([^']+)'")


CREATE_TABLE = re.compile(r"^CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\S+)", re.IGNORECASE)
METADATA_COLUMN = re.compile(r"\s+METADATA\s+FROM\s+'[^']*'\s+VIRTUAL", re.IGNORECASE)
STAND_IN_OPTIONS = "WITH ('connector' = 'filesystem', 'path' = 'file:///nonexistent/lakegate-validate', 'format' = 'json')"


def stand_in_table(statement: str) -> str:
    """--validate: ``CREATE TABLE`` of a table whose connector (or format) is not on the classpath, as a table of the
    same columns on the filesystem connector (metadata columns become physical ones, computed columns
    and keys stay), so the views and INSERTs over it are still checked by Flink."""
    body = strip_comments(statement)
    head = body[: body.rfind("\nWITH (")] if "\nWITH (" in body else body
    return METADATA_COLUMN.sub("", head) + "\n" + STAND_IN_OPTIONS


def create_table_for_validation(t_env: Any, statement: str) -> str | None:
    """--validate: run ``CREATE TABLE``, then read the table once (which needs its connector); a table
    whose connector is missing is re-created as a :func:`stand_in_table`. Returns the missing connector."""
    run_statement(t_env.execute_sql, statement)
    name = CREATE_TABLE.match(strip_comments(statement))
    if name is None or "'connector'" not in statement:
        return None  # a table of a catalog (Iceberg: in memory here)
    try:
        t_env.sql_query(f"SELECT * FROM {name.group(1)}")
        return None
    except Exception as exc:
        missing = MISSING_CONNECTOR.search(str(exc))
        if missing is None:
            log(f"statement failed: {statement.strip().splitlines()[0]}")
            raise
    t_env.execute_sql(f"DROP TEMPORARY TABLE IF EXISTS {name.group(1)}")
    t_env.execute_sql(f"DROP TABLE IF EXISTS {name.group(1)}")
    run_statement(t_env.execute_sql, stand_in_table(statement))
    return missing.group(1)


def validate_inserts(statement_set: Any, inserts: list[str], ddl: int, missing: list[str]) -> int:
    """--validate: check every INSERT against the tables, then plan the job when every connector is here.

    Flink validates an INSERT's SQL (names, types) before it looks up the connectors of its tables, so
    an INSERT that fails only for want of a connector (no jar on the classpath) has passed validation.
    ``missing``: the connectors already replaced by stand-ins (:func:`create_table_for_validation`).
    """
    missing = list(missing)
    for statement in inserts:
        try:
            statement_set.add_insert_sql(statement)
        except Exception as exc:
            match = MISSING_CONNECTOR.search(str(exc))
            if match is None:
                log(f"statement failed: {statement.strip().splitlines()[0]}")
                raise
            missing.append(match.group(1))
    log(f"valid: {ddl} DDL statements ran, {len(inserts)} INSERT statements validated")
    if missing:
        log(f"not planned: connectors not on the classpath here: {', '.join(sorted(set(missing)))}")
        return 0
    statement_set.explain()
    log("planned: every connector and format of the job was found and accepted its options")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Build the tables and submit the statement set; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--properties", help="runtime properties JSON (Managed Flink's format)")
    parser.add_argument("--jar", help=f"dependency jar (default: {DEPENDENCY_JAR} beside this file)")
    parser.add_argument("--local", action="store_true", help="run on a local mini-cluster and wait for the job")
    parser.add_argument("--dry-run", action="store_true", help="print the statements instead of running them")
    parser.add_argument(
        "--validate", action="store_true", help="check the SQL with Flink (in-memory catalogs, no connectors)"
    )
    args, _ = parser.parse_known_args(argv)
    local = args.local or bool(os.environ.get("IS_LOCAL"))

    with open(os.path.join(HERE, "job", "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    groups, managed = load_properties(args.properties)
    secrets = secret_values(job.get("secrets", []), groups, os.environ)
    with open(os.path.join(HERE, "job", job["sql"]), encoding="utf-8") as f:
        statements = split_statements(f.read())
    if args.dry_run:
        print(";\n\n".join(statements) + ";")
        return 0
    if args.validate:
        secrets = {name: secrets.get(name) or "validate" for name in job.get("secrets", [])}
    statements = [fill_secrets(s, secrets) for s in statements]

    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    set_options(t_env, job.get("table_configuration", {}))  # what the SQL relies on: everywhere
    configure(t_env, {**job.get("configuration", {}), **property_group(groups, "lakegate.flink")}, managed)
    jar = args.jar or os.path.join(HERE, DEPENDENCY_JAR)
    if not managed and os.path.isfile(jar):
        t_env.get_config().set("pipeline.jars", "file://" + os.path.abspath(jar))
    log(f"pipeline {job['pipeline']}: {len(statements)} statements")
    inserts = [s for s in statements if is_insert(s)]
    missing: list[str] = []
    for statement in statements:
        if is_insert(statement):
            continue
        if not args.validate:
            run_statement(t_env.execute_sql, statement)
        elif CREATE_TABLE.match(strip_comments(statement)):
            missing += filter(None, [create_table_for_validation(t_env, statement)])
        else:
            run_statement(t_env.execute_sql, in_memory_catalog(statement) or statement)
    if not args.validate:
        ensure_partition_specs(t_env, job.get("partitions", []))
    statement_set = t_env.create_statement_set()
    if args.validate:
        return validate_inserts(statement_set, inserts, len(statements) - len(inserts), missing)
    for statement in inserts:
        run_statement(statement_set.add_insert_sql, statement)
    result = statement_set.execute()
    log(f"submitted {len(inserts)} INSERT statements as one job")
    if local:
        result.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
