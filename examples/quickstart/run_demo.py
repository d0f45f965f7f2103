"""The quickstart demo (`make demo`): validate, test, run and query the example pipeline with the CLI.

Every step runs the real `lakegate` command of this virtualenv, so what you see is what you would
type. Then the run report is checked against `expected_counts.json` (written by generate_data.py from
the defects it put in the data) and the demo exits non-zero if any step or count is wrong.

    python examples/quickstart/run_demo.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PIPELINE = HERE / "pipeline.yaml"
EXPECTED = HERE / "expected_counts.json"
DEMO_SALT = "quickstart-demo-salt-not-a-secret"
STATE_ENTRIES = {"catalog.db", "warehouse", "dlq", "exports", "report.json"}
"""What the pipeline writes into its state dir (a folder holding anything else is not wiped)."""

QUERIES = [
    (
        "Rows per table (the DLQ is queryable like any sink)",
        """
        SELECT 'bids_lake' AS sink, count(*) AS rows FROM bids_lake
        UNION ALL SELECT 'bids_export', count(*) FROM bids_export
        UNION ALL SELECT 'large_bids', count(*) FROM large_bids
        UNION ALL SELECT 'users_lake', count(*) FROM users_lake
        UNION ALL SELECT 'orders_lake', count(*) FROM orders_lake
        UNION ALL SELECT 'orders_duckdb', count(*) FROM orders_duckdb
        UNION ALL SELECT 'dlq', count(*) FROM dlq
        """,
    ),
    (
        "Bids per platform per day (Iceberg table partitioned by day(event_time), bucket(8, user_id))",
        """
        SELECT event_date, platform, count(*) AS bids, round(sum(bid_amount), 2) AS volume,
               round(avg(bid_amount), 2) AS avg_bid, count(DISTINCT user_id) AS bidders
        FROM bids_lake GROUP BY ALL ORDER BY ALL
        """,
    ),
    (
        "Why records were dead-lettered (with where the first one came from)",
        r"""
        SELECT source, stage, coalesce(rule, '') AS rule,
               regexp_extract(error, '^(field [^ ]+ expected [a-z]+|cannot cast [^:]+|[^ ]+ is not JSON|.*)', 1)
                   AS reason,
               count(*) AS n,
               arg_min(stream || ':' || (index + 1), stream || lpad(CAST(index AS VARCHAR), 9, '0'))
                   AS first_record
        FROM dlq GROUP BY ALL ORDER BY source, stage, n DESC
        """,
    ),
    (
        "Pseudonymised but joinable: users who bid, by hashed e-mail (same salt in both tables)",
        """
        WITH users AS (SELECT email_sha256, mode(country) AS country FROM users_lake
                       WHERE country <> 'ZZ' GROUP BY ALL)
        SELECT users.country, count(DISTINCT email_sha256) AS users_who_bid, count(*) AS bids,
               round(sum(bid_amount), 2) AS volume
        FROM bids_lake JOIN users USING (email_sha256)
        GROUP BY ALL ORDER BY users_who_bid DESC, country LIMIT 5
        """,
    ),
]


class DemoError(Exception):
    """A step of the demo failed; the message says which."""


def banner(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}", flush=True)


def lakegate_command() -> list[str]:
    exe = Path(sys.executable).parent / ("lakegate.exe" if os.name == "nt" else "lakegate")
    if not exe.exists():
        raise DemoError(f"{exe} not found: install lakegate into this environment (pip install -e '.[all]')")
    return [str(exe)]


def run(args: list[str], *, capture: bool = False) -> str:
    """Run `lakegate <args>`, echoing the command; raise DemoError when it fails."""
    cmd = [*lakegate_command(), *args]
    print("$ lakegate " + " ".join(_shell(a) for a in args), flush=True)
    if capture:
        done = subprocess.run(cmd, text=True, capture_output=True, check=False)
    else:  # The CLI's summary goes to stderr: keep it in order with the rest of the output.
        done = subprocess.run(cmd, text=True, stderr=subprocess.STDOUT, check=False)
    if capture and done.returncode == 0:
        return done.stdout
    if done.returncode != 0:
        if capture:
            sys.stderr.write(done.stdout + done.stderr)
        raise DemoError(f"`lakegate {args[0]}` exited with status {done.returncode}")
    return ""


def _shell(arg: str) -> str:
    """Quote an argument as you would type it (SQL in double quotes, keeping its lines)."""
    if any(c in arg for c in '"$`\\') or not any(c in arg for c in " '\n"):
        return shlex.quote(arg)
    if "\n" in arg:
        return '"\n    ' + arg.replace("\n", "\n    ") + '"'
    return f'"{arg}"'


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def state_dir() -> Path:
    """The pipeline's state dir, as pipeline.yaml computes it: ${LAKEGATE_HOME:-.lakegate}."""
    home = os.environ.get("LAKEGATE_HOME") or ".lakegate"
    return (HERE / home).resolve()


def wipe(path: Path) -> None:
    if not path.exists():
        return
    unexpected = {p.name for p in path.iterdir()} - STATE_ENTRIES
    if unexpected:
        raise DemoError(f"not wiping {path}: it holds {', '.join(sorted(unexpected))}, which the pipeline "
                        "did not write; set LAKEGATE_HOME to an empty or dedicated folder")
    shutil.rmtree(path)


def check_report(report: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """The accounting identities of the report, and its counts against the expected ones."""
    problems: list[str] = []
    print(f"{'':32s} {'in':>6s} {'out':>6s} {'filt.':>6s} {'dlq':>6s}")
    for name, src in report["sources"].items():
        decoded = src["records_in"] - src["dlq"]
        print(f"source {name:25s} {src['records_in']:6d} {decoded:6d} {'':6s} {src['dlq']:6d}"
              f"   in = decoded {decoded} + dlq {src['dlq']}")
    for name, t in report["transforms"].items():
        total = t["records_out"] + t["filtered"] + t["dlq"]
        print(f"transform {name:22s} {t['records_in']:6d} {t['records_out']:6d} {t['filtered']:6d} "
              f"{t['dlq']:6d}   out + filtered + dlq = {total}")
        if total != t["records_in"]:
            problems.append(f"transform {name}: in {t['records_in']} != out + filtered + dlq {total}")
    transform_in = sum(t["records_in"] for t in report["transforms"].values())
    decoded_all = sum(s["records_in"] - s["dlq"] for s in report["sources"].values())
    if transform_in != decoded_all:
        problems.append(f"decoded records {decoded_all} != records into transforms {transform_in}")
    dlq_sum = sum(s["dlq"] for s in report["sources"].values()) + sum(
        t["dlq"] for t in report["transforms"].values()
    )
    written = report["dlq"]["records_written"]
    print(f"dead-letter queue: {written} written = {dlq_sum} (source dlq + transform dlq)")
    if written != dlq_sum:
        problems.append(f"DLQ wrote {written}, sources and transforms dead-lettered {dlq_sum}")
    for section in ("sources", "transforms"):
        for name, counts in expected[section].items():
            got = {k: report[section].get(name, {}).get(k) for k in counts}
            if got != counts:
                problems.append(f"{section[:-1]} {name}: expected {counts}, got {got}")
    for name, rows in expected["sinks"].items():
        got = report["sinks"].get(name, {}).get("records_written")
        if got != rows:
            problems.append(f"sink {name}: expected {rows} rows, got {got}")
    if written != expected["dlq"]:
        problems.append(f"DLQ: expected {expected['dlq']} records, got {written}")
    return problems


def check_dlq(expected: dict[str, Any]) -> list[str]:
    """Every expected (source, stage, rule, reason) of the DLQ, with its count."""
    rows = [json.loads(line) for line in run(
        ["query", "--format", "json", os.path.relpath(PIPELINE),
         "SELECT source, stage, rule, error FROM dlq ORDER BY source, stage"], capture=True
    ).splitlines() if line.strip()]
    problems = []
    remaining = list(rows)
    for want in expected["dlq_reasons"]:
        hits = [r for r in remaining if r["source"] == want["source"] and r["stage"] == want["stage"]
                and r["rule"] == want["rule"] and r["error"].startswith(want["error_prefix"])]
        if len(hits) != want["count"]:
            problems.append(f"DLQ {want['source']}/{want['stage']}/{want['rule']} {want['error_prefix']!r}: "
                            f"expected {want['count']}, got {len(hits)}")
        for hit in hits:
            remaining.remove(hit)
    problems += [f"unexpected DLQ record: {r}" for r in remaining]
    return problems


def input_emails() -> set[str]:
    """The e-mail addresses of the bid files, as the pipeline normalises them (trim, lower-case)."""
    emails = set()
    for path in sorted((HERE / "data" / "bids").iterdir()):
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
        try:
            records = json.loads(text)
        except json.JSONDecodeError:
            records = []
            for line in text.splitlines():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        for record in records if isinstance(records, list) else [records]:
            if isinstance(record, dict) and isinstance(record.get("email"), str):
                emails.add(record["email"].strip(" ").lower())
    return emails


def check_hash(salt: str) -> list[str]:
    """Every stored e-mail hash is sha256(salt || trimmed, lower-cased address) of an input address."""
    known = {hashlib.sha256((salt + e).encode()).hexdigest() for e in input_emails()}
    out = run(["query", "--format", "json", os.path.relpath(PIPELINE),
               "SELECT DISTINCT email_sha256 FROM bids_lake WHERE email_sha256 IS NOT NULL"], capture=True)
    stored = {json.loads(line)["email_sha256"] for line in out.splitlines() if line.strip()}
    unknown = stored - known
    if not stored:
        return ["no e-mail hash in bids_lake"]
    print(f"{len(stored)} distinct e-mail hashes in bids_lake, all equal to sha256(salt || address)"
          if not unknown else "")
    return [f"{len(unknown)} e-mail hashes of bids_lake match no input address"] if unknown else []


def main() -> int:
    os.chdir(HERE.parent.parent)  # Paths in the output read like the commands you would type.
    if not os.environ.get("LAKEGATE_HASH_SALT"):
        os.environ["LAKEGATE_HASH_SALT"] = DEMO_SALT
        print(f"LAKEGATE_HASH_SALT is not set: using the demo value {DEMO_SALT!r}.\n"
              "It is public, so the hashes below are not private: set your own secret salt for real data.")
    if not sys.stdout.isatty():
        os.environ.setdefault("COLUMNS", "130")  # Width of the CLI's tables when the output is piped.
    pipeline = os.path.relpath(PIPELINE)
    state = state_dir()
    report_path = state / "report.json"
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    try:
        banner(f"Fresh start: removing {shown(state)}")
        wipe(state)
        banner("1. Validate the pipeline (spec, references, rule types)")
        run(["validate", pipeline])
        banner("2. Run the config tests (pipeline.tests.yaml)")
        run(["test", pipeline])
        banner("3. Run the pipeline over data/ (bids, users, orders)")
        state.mkdir(parents=True, exist_ok=True)
        run(["run", pipeline, "--report", shown(report_path)])
        banner(f"4. The run report ({shown(report_path)})")
        report = json.loads(report_path.read_text(encoding="utf-8"))
        for section in ("sources", "transforms", "sinks"):
            for name, counts in report[section].items():
                print(f"{section}.{name}: {json.dumps(counts)}")
        print(f"dlq: {json.dumps(report['dlq'])}")
        banner("5. Accounting: every record is written, filtered or dead-lettered")
        problems = check_report(report, expected)
        for i, (title, sql) in enumerate(QUERIES, start=6):
            banner(f"{i}. {title}")
            sql = textwrap.dedent(sql).strip()
            print(run(["query", pipeline, sql], capture=True), end="")
        banner("Checking the DLQ and the hashes against what generate_data.py put in the data")
        problems += check_dlq(expected) + check_hash(os.environ["LAKEGATE_HASH_SALT"])
    except DemoError as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    if problems:
        print("\ndemo failed: the results differ from expected_counts.json:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    sinks = ", ".join(f"{n} {v}" for n, v in expected["sinks"].items())
    print(f"\nAll counts match expected_counts.json ({sinks}; {expected['dlq']} in the DLQ).")
    print(f"Explore: lakegate query {pipeline} \"SELECT * FROM large_bids\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
