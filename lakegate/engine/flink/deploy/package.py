"""The deployable zip: ``lakegate package PIPELINE --target flink [--out FILE.zip] [--jar PATH]``.

The zip has the layout of the users' earlier Managed Flink application (everything at the root)::

    streaming_job.py
    application_properties.json
    job/pipeline.sql
    job/job.json
    lib/pyflink-dependencies.jar     (when a jar is supplied with --jar)

Without ``--jar`` the zip lacks only the jar: the job directory written beside it is a Maven project
whose ``mvn package`` builds the jar and the same zip with it (``target/<pipeline>-flink.zip``).
Entries are written in a fixed order with a fixed timestamp, so packaging twice gives the same bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lakegate.engine.flink.deploy.job import ENTRY_POINT, PROPERTIES_FILE, FlinkJob
from lakegate.engine.flink.deploy.versions import DEPENDENCY_JAR
from lakegate.errors import LakegateError

ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)
IN_ZIP = (ENTRY_POINT, PROPERTIES_FILE)
"""Files of the job that go into the zip besides ``job/`` (the Maven files stay out of it)."""


class PackageError(LakegateError):
    """The zip cannot be built (a missing or unreadable jar, an unwritable output)."""


def zip_entries(job: FlinkJob) -> dict[str, bytes]:
    """The job's files that belong in the zip: name → content."""
    return {
        name: content.encode("utf-8")
        for name, content in sorted(job.files.items())
        if name in IN_ZIP or name.startswith("job/")
    }


def write_zip(job: FlinkJob, out: Path, jar: Path | None = None) -> list[str]:
    """Write the deployable zip of ``job`` to ``out`` (with ``jar`` as ``lib/pyflink-dependencies.jar``);
    returns the entry names."""
    entries = zip_entries(job)
    if jar is not None:
        if not jar.is_file():
            raise PackageError(f"no such jar: {jar}", hint="build it with `mvn package` or check the path")
        if not zipfile.is_zipfile(jar):
            raise PackageError(f"{jar} is not a jar (zip) file")
        entries[f"lib/{DEPENDENCY_JAR}"] = jar.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries.items():
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_STORED if name.endswith(".jar") else zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
    except OSError as exc:
        raise PackageError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return list(entries)
