"""The Java dependencies of the generated Flink job: every version pinned here, in one place.

``pom.xml`` (:mod:`.maven`) and the connector table of ``docs/flink.md`` (checked by a test) are built
from :data:`ARTIFACTS`. Why these versions:

- **Flink 2.2.1**: the newest Flink line that AWS Managed Service for Apache Flink runs (runtime
  ``FLINK-2_2``) *and* for which the Kafka connector and Iceberg publish builds. PyPI's
  ``apache-flink`` is newer (2.3), but connectors name the Flink minor they were built against
  (``5.0.0-2.2``) and no 2.3 builds exist yet, so the job targets 2.2; install ``apache-flink==2.2.1``
  where the job is submitted from.
- **flink-connector-kafka 5.0.0-2.2**: the Kafka connector release for Flink 2.2 (unshaded Kafka
  client classes, so JAAS login modules keep their ``org.apache.kafka`` names).
- **Iceberg 1.12.0**: the first release with ``iceberg-flink-runtime-2.2``; ``iceberg-aws-bundle`` of
  the same release brings S3FileIO and the Glue catalog.
- **s3-tables-catalog-for-iceberg-runtime 0.1.8**: ``software.amazon.s3tables.iceberg.S3TablesCatalog``
  (the ``catalog-impl`` of an S3 Tables catalog), as in the users' earlier job.
- **aws-msk-iam-auth 2.3.2**: ``IAMLoginModule`` / ``IAMClientCallbackHandler`` for MSK IAM access.
- **hadoop-common 3.3.6**: Iceberg's Flink runtime needs Hadoop's ``Configuration`` classes; they are
  relocated in the shaded jar and Flink's ``HadoopUtils`` is replaced by a shim returning an empty
  configuration (the approach of AWS's PyFlink Iceberg examples and of the earlier job).
- **JDBC connector 4.1.0-2.2** (core + PostgreSQL dialect) and **PostgreSQL driver 42.7.7**: only
  added when a pipeline has a ``postgres`` sink.

These machines cannot reach Maven Central, so the versions are checked for consistency by tests, not
by a Maven build; bump them here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

FLINK_VERSION = "2.2.1"
FLINK_MINOR = "2.2"
JAVA_RELEASE = "17"
ICEBERG_VERSION = "1.12.0"
KAFKA_CONNECTOR_VERSION = f"5.0.0-{FLINK_MINOR}"
JDBC_CONNECTOR_VERSION = f"4.1.0-{FLINK_MINOR}"
S3TABLES_CATALOG_VERSION = "0.1.8"
MSK_IAM_AUTH_VERSION = "2.3.2"
HADOOP_VERSION = "3.3.6"
POSTGRES_DRIVER_VERSION = "42.7.7"
SHADE_PLUGIN_VERSION = "3.6.0"
ASSEMBLY_PLUGIN_VERSION = "3.7.1"
COMPILER_PLUGIN_VERSION = "3.13.0"

DEPENDENCY_JAR = "pyflink-dependencies.jar"
"""Name of the shaded jar, and its place in the zip: ``lib/pyflink-dependencies.jar``."""


@dataclass(frozen=True)
class Artifact:
    """One Maven dependency of the job."""

    group: str
    artifact: str
    version: str
    purpose: str
    feature: str = "core"
    """``core`` (always in the jar), ``postgres`` (only with a postgres sink) or ``parquet``."""
    exclusions: tuple[str, ...] = ()
    """``group:artifact`` pairs left out of the jar (provided by Flink or conflicting)."""


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact(
        "org.apache.flink", "flink-connector-kafka", KAFKA_CONNECTOR_VERSION,
        "Kafka source (and Kafka DLQ) tables",
    ),
    Artifact(
        "org.apache.iceberg", f"iceberg-flink-runtime-{FLINK_MINOR}", ICEBERG_VERSION,
        "Iceberg catalogs and sink tables in Flink SQL",
    ),
    Artifact(
        "org.apache.iceberg", "iceberg-aws-bundle", ICEBERG_VERSION,
        "S3FileIO, Glue catalog, AWS SDK for Iceberg",
    ),
    Artifact(
        "software.amazon.s3tables", "s3-tables-catalog-for-iceberg-runtime", S3TABLES_CATALOG_VERSION,
        "Amazon S3 Tables catalog (catalog-impl S3TablesCatalog)",
    ),
    Artifact(
        "software.amazon.msk", "aws-msk-iam-auth", MSK_IAM_AUTH_VERSION,
        "Amazon MSK IAM authentication (SASL mechanism AWS_MSK_IAM)",
    ),
    Artifact(
        "org.apache.hadoop", "hadoop-common", HADOOP_VERSION,
        "Hadoop Configuration classes Iceberg needs (relocated, with the HadoopUtils shim)",
        exclusions=(
            "org.slf4j:slf4j-reload4j", "ch.qos.reload4j:reload4j", "log4j:log4j",
            "org.apache.avro:avro", "com.google.protobuf:protobuf-java",
        ),
    ),
    Artifact(
        "org.apache.flink", "flink-connector-jdbc-core", JDBC_CONNECTOR_VERSION,
        "JDBC sink tables (postgres sinks)", feature="postgres",
    ),
    Artifact(
        "org.apache.flink", "flink-connector-jdbc-postgres", JDBC_CONNECTOR_VERSION,
        "PostgreSQL dialect of the JDBC connector", feature="postgres",
    ),
    Artifact(
        "org.postgresql", "postgresql", POSTGRES_DRIVER_VERSION,
        "PostgreSQL JDBC driver", feature="postgres",
    ),
    Artifact(
        "org.apache.flink", "flink-sql-parquet", FLINK_VERSION,
        "Parquet format of the filesystem connector (parquet sinks)", feature="parquet",
    ),
)  # fmt: skip
"""Every dependency the shaded jar may contain, in pom order."""


def artifacts_for(features: set[str]) -> list[Artifact]:
    """The artifacts a job needs: the core set plus those of ``features`` (``postgres``, ``parquet``)."""
    return [a for a in ARTIFACTS if a.feature == "core" or a.feature in features]
