"""Deploying a pipeline to Apache Flink: the job's tables, catalogs, entry point, Maven build and zip.

- :mod:`.tables`: the production ``TableFactory`` (Kafka / files sources; Iceberg, PostgreSQL, files
  and Kafka sinks; the DLQ) handed to the Flink SQL emitter;
- :mod:`.catalogs`: ``CREATE CATALOG`` for S3 Tables, Glue, REST and Hadoop Iceberg catalogs;
- :mod:`.iceberg`: Iceberg sink tables and their partitioning (hidden transforms included);
- :mod:`.job`: the job directory (``streaming_job.py``, ``job/pipeline.sql``, ``job/job.json``,
  ``application_properties.json``); :mod:`.runtime` is the entry point copied into it;
- :mod:`.maven` / :mod:`.versions`: ``pom.xml`` and the assembly descriptor, versions pinned;
- :mod:`.package`: the deployable zip.
"""

from lakegate.engine.flink.deploy.job import FlinkJob, build_flink_job
from lakegate.engine.flink.deploy.package import write_zip

__all__ = ["FlinkJob", "build_flink_job", "write_zip"]
