"""`lakegate` entry point: argument parsing and error reporting.

Every command is a function in :mod:`lakegate.cli.commands`. A :class:`LakegateError` is printed as one
clear message (exit 2 for spec and compile errors, 1 otherwise); ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from lakegate import __version__
from lakegate.cli.process import apply_process_defaults
from lakegate.errors import LakegateError


def build_parser() -> argparse.ArgumentParser:
    from lakegate.cli import commands, deploy

    parser = argparse.ArgumentParser(
        prog="lakegate", description="Declarative, schema-aware streaming ETL."
    )
    parser.add_argument("--version", action="version", version=f"lakegate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a pipeline: spec, references, rule types")
    p.add_argument("pipeline")
    p.set_defaults(func=commands.validate)

    p = sub.add_parser("run", help="run a pipeline on the embedded engine")
    p.add_argument("pipeline")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="process the data there is, then exit (default)")
    mode.add_argument("--follow", action="store_true", help="keep watching sources for new data")
    p.add_argument("--report", metavar="FILE", help="write the run summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress display and no summary")
    p.set_defaults(func=commands.run)

    p = sub.add_parser("explain", help="show the compiled plan and the SQL of each transform")
    p.add_argument("pipeline")
    p.set_defaults(func=commands.explain)

    p = sub.add_parser("test", help="run the pipeline's config tests (<pipeline>.tests.yaml)")
    p.add_argument("pipeline")
    p.add_argument("--cases", metavar="FILE", help="a cases file other than <pipeline>.tests.yaml")
    p.set_defaults(func=commands.test)

    p = sub.add_parser("rules", help="list the rules with their options and an example")
    p.add_argument("rule", nargs="?", help="show only this rule")
    p.set_defaults(func=commands.rules)

    p = sub.add_parser("compile", help="write the job of a pipeline for another engine (--target flink)")
    p.add_argument("pipeline")
    p.add_argument("--target", choices=["flink"], required=True, help="the engine to compile for")
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write the job into")
    p.set_defaults(func=deploy.compile_target)

    p = sub.add_parser("package", help="build the deployable zip of a pipeline (--target flink)")
    p.add_argument("pipeline")
    p.add_argument("--target", choices=["flink"], required=True, help="the engine to package for")
    p.add_argument("--out", metavar="FILE.zip", help="the zip to write (default: dist/<pipeline>-flink.zip)")
    p.add_argument("--jar", metavar="PATH", help="dependency jar to include as lib/pyflink-dependencies.jar")
    p.set_defaults(func=deploy.package)

    p = sub.add_parser("query", help="run DuckDB SQL over the pipeline's sinks (one view per sink)")
    p.add_argument("pipeline")
    p.add_argument("sql")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=commands.query)
    return parser


def configure_logging(*, debug: bool) -> None:
    """lakegate's own messages (retries, skipped files) at INFO, libraries' at WARNING; all at DEBUG
    with ``--debug``."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("lakegate").setLevel(logging.DEBUG if debug else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(debug=args.debug)
    err = Console(stderr=True, highlight=False)
    try:
        return int(args.func(args) or 0)
    except LakegateError as exc:
        if args.debug:
            traceback.print_exc()
        err.print(Text("error: ", style="bold red") + Text(str(exc)), soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:  # a bug: say so, with the traceback on request
        if args.debug:
            traceback.print_exc()
        err.print(
            Text("internal error: ", style="bold red")
            + Text(f"{type(exc).__name__}: {exc}\n  run again with --debug for the traceback")
        )
        return 1


def entry() -> None:
    """The `lakegate` console script: :func:`main`, then a fast exit.

    Every command has closed its sinks, connections and files by the time :func:`main` returns, so
    the interpreter's teardown of its modules (about 0.4 s with pyiceberg, DuckDB and pyarrow loaded)
    is skipped: the streams are flushed and the process exits with the command's status. Before
    anything loads numpy or pyarrow, the process gets its defaults (:mod:`lakegate.cli.process`).
    """
    apply_process_defaults()
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # `python -m lakegate.cli.main`: the same defaults, the usual exit
    apply_process_defaults()
    sys.exit(main())
