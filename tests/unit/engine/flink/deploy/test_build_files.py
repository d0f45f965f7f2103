"""pom.xml, the assembly descriptor, job settings, application properties and the zip."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from lakegate.engine.flink.deploy import versions
from lakegate.engine.flink.deploy.job import FlinkJob, application_properties, flink_configuration
from lakegate.engine.flink.deploy.maven import ASSEMBLY_XML, HADOOP_UTILS, HADOOP_UTILS_PATH, maven_files
from lakegate.engine.flink.deploy.package import PackageError, write_zip
from lakegate.spec.models import FlinkSettings

NS = {"m": "http://maven.apache.org/POM/4.0.0"}
DOCS = Path(__file__).parents[5] / "docs" / "flink.md"


def pom(features: set[str]) -> ET.Element:
    return ET.fromstring(maven_files("Shop Events", features)["pom.xml"].encode())


def test_pom_is_well_formed_with_pinned_dependencies() -> None:
    root = pom(set())
    assert root.findtext("m:artifactId", namespaces=NS) == "shop-events-flink"
    assert root.findtext("m:properties/m:flink.version", namespaces=NS) == versions.FLINK_VERSION
    assert root.findtext("m:properties/m:maven.compiler.release", namespaces=NS) == "17"
    deps = {
        (d.findtext("m:artifactId", namespaces=NS), d.findtext("m:version", namespaces=NS))
        for d in root.findall("m:dependencies/m:dependency", namespaces=NS)
    }
    assert ("flink-connector-kafka", versions.KAFKA_CONNECTOR_VERSION) in deps
    assert (f"iceberg-flink-runtime-{versions.FLINK_MINOR}", versions.ICEBERG_VERSION) in deps
    assert ("s3-tables-catalog-for-iceberg-runtime", versions.S3TABLES_CATALOG_VERSION) in deps
    assert ("aws-msk-iam-auth", versions.MSK_IAM_AUTH_VERSION) in deps
    assert ("hadoop-common", versions.HADOOP_VERSION) in deps
    assert not any(a.startswith("flink-connector-jdbc") for a, _ in deps)  # only with a postgres sink
    assert ("flink-core", "${flink.version}") in deps
    jdbc = {d.findtext("m:artifactId", namespaces=NS) for d in pom({"postgres"}).iter(f"{{{NS['m']}}}dependency")}
    assert {"flink-connector-jdbc-core", "flink-connector-jdbc-postgres", "postgresql"} <= jdbc


def test_shade_runs_before_assembly_and_relocates_hadoop() -> None:
    root = pom(set())
    plugins = [p.findtext("m:artifactId", namespaces=NS) for p in root.findall("m:build/m:plugins/m:plugin", namespaces=NS)]
    assert plugins.index("maven-shade-plugin") < plugins.index("maven-assembly-plugin")
    patterns = [r.findtext("m:pattern", namespaces=NS) for r in root.iter(f"{{{NS['m']}}}relocation")]
    assert patterns == ["org.apache.hadoop.conf", "org.apache.flink.runtime.util.HadoopUtils"]
    shade = root.find("m:build/m:plugins/m:plugin[m:artifactId='maven-shade-plugin']", namespaces=NS)
    assert shade is not None
    assert shade.findtext(".//m:finalName", namespaces=NS) == "${jar.finalName}"
    assert root.findtext("m:properties/m:jar.finalName", namespaces=NS) == "pyflink-dependencies"
    assert "package org.apache.flink.runtime.util;" in HADOOP_UTILS
    assert HADOOP_UTILS_PATH.endswith("org/apache/flink/runtime/util/HadoopUtils.java")


def test_assembly_puts_the_job_at_the_zip_root() -> None:
    ns = {"a": "http://maven.apache.org/ASSEMBLY/2.1.1"}
    root = ET.fromstring(ASSEMBLY_XML.encode())
    assert root.findtext("a:includeBaseDirectory", namespaces=ns) == "false"
    sets = {
        fs.findtext("a:outputDirectory", namespaces=ns): [i.text for i in fs.iter(f"{{{ns['a']}}}include")]
        for fs in root.iter(f"{{{ns['a']}}}fileSet")
    }
    assert sets == {"/": ["streaming_job.py", "application_properties.json"], "job": ["*.sql", "*.json"],
                    "lib": ["pyflink-dependencies.jar"]}  # fmt: skip


def test_docs_list_the_pinned_versions() -> None:
    text = DOCS.read_text()
    for artifact in versions.ARTIFACTS:
        row = re.search(rf"^\|\s*`{re.escape(artifact.artifact)}`\s*\|\s*([^|]+?)\s*\|", text, re.MULTILINE)
        assert row, f"docs/flink.md has no row for {artifact.artifact}"
        assert row.group(1) == artifact.version, artifact.artifact


def test_flink_configuration_defaults_to_exactly_once() -> None:
    config = flink_configuration(FlinkSettings())
    assert config["execution.checkpointing.mode"] == "EXACTLY_ONCE"
    assert config["execution.checkpointing.interval"] == "60000 ms"
    assert "parallelism.default" not in config
    custom = flink_configuration(FlinkSettings(checkpoint_interval_seconds=2.5, checkpoint_mode="at_least_once",
                                               parallelism=4, configuration={"parallelism.default": "8"}))  # fmt: skip
    assert custom["execution.checkpointing.interval"] == "2500 ms"
    assert custom["execution.checkpointing.mode"] == "AT_LEAST_ONCE"
    assert custom["parallelism.default"] == "8"  # `configuration` overrides the typed settings


def test_application_properties_for_managed_flink() -> None:
    groups = json.loads(application_properties(["LAKEGATE_PG_PASSWORD"]))
    assert groups[0] == {"PropertyGroupId": "kinesis.analytics.flink.run.options",
                         "PropertyMap": {"python": "streaming_job.py", "jarfile": "lib/pyflink-dependencies.jar"}}  # fmt: skip
    assert groups[1] == {"PropertyGroupId": "lakegate.secrets", "PropertyMap": {"LAKEGATE_PG_PASSWORD": ""}}
    assert len(json.loads(application_properties([]))) == 1


def job() -> FlinkJob:
    files = {"streaming_job.py": "print(1)\n", "application_properties.json": "[]\n", "job/pipeline.sql": "-- x\n",
             "job/job.json": "{}\n", **maven_files("shop", set())}  # fmt: skip
    return FlinkJob(pipeline="shop", files=files, inserts=1, ddl=1)


def test_zip_layout_without_and_with_a_jar(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "shop.zip"
    write_zip(job(), out)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["application_properties.json", "job/job.json", "job/pipeline.sql",
                                              "streaming_job.py"]  # fmt: skip
        assert archive.read("streaming_job.py") == b"print(1)\n"
    first = out.read_bytes()
    write_zip(job(), out)
    assert out.read_bytes() == first  # deterministic

    jar = tmp_path / "deps.jar"
    with zipfile.ZipFile(jar, "w") as j:
        j.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    write_zip(job(), out, jar)
    with zipfile.ZipFile(out) as archive:
        assert "lib/pyflink-dependencies.jar" in archive.namelist()
        assert archive.getinfo("lib/pyflink-dependencies.jar").compress_type == zipfile.ZIP_STORED
        assert archive.read("lib/pyflink-dependencies.jar") == jar.read_bytes()
        assert not any(n.startswith(("pom.xml", "src/", "assembly/")) for n in archive.namelist())


def test_zip_with_a_bad_jar(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="no such jar"):
        write_zip(job(), tmp_path / "a.zip", tmp_path / "missing.jar")
    text = tmp_path / "not.jar"
    text.write_text("hello")
    with pytest.raises(PackageError, match="is not a jar"):
        write_zip(job(), tmp_path / "a.zip", text)


def test_the_flink_extra_installs_the_deployed_flink() -> None:
    """The mini-cluster of the parity tests (the ``flink`` extra) runs the Flink the job is built for."""
    import tomllib

    pyproject = tomllib.loads((DOCS.parents[1] / "pyproject.toml").read_text())
    assert pyproject["project"]["optional-dependencies"]["flink"] == [f"apache-flink=={versions.FLINK_VERSION}"]
