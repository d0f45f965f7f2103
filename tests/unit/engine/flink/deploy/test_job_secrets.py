"""Secrets and table settings of the generated job: no secret value in any generated file, the job
fills every placeholder at start, and the settings the SQL relies on reach the job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakegate.cli.main import main
from lakegate.engine.flink.deploy import runtime
from lakegate.engine.flink.statements import SESSION_CONFIG

SALT = "pepper-4f1c9e"
PASSWORD = "pg-s3cr3t"

PIPELINE = f"""
pipeline: salted
schemas:
  user:
    fields:
      - {{name: id, type: string, required: true}}
      - {{name: email, type: string}}
sources:
  users: {{type: files, path: data, format: ndjson, schema: user}}
transforms:
  clean:
    source: users
    rules:
      - {{type: hash, columns: [email], salt_env: LG_TEST_SALT}}
    sinks: [pg]
sinks:
  pg: {{type: postgres, dsn: "postgresql://etl:{PASSWORD}@db:5432/shop", table: public.users}}
dlq: {{type: jsonl, path: dlq}}
"""


@pytest.fixture
def job_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LG_TEST_SALT", SALT)
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    out = tmp_path / "job"
    assert main(["compile", str(tmp_path / "pipeline.yaml"), "--target", "flink", "--out", str(out)]) == 0
    return out


def test_no_secret_value_is_written(job_dir: Path) -> None:
    files = [p for p in job_dir.rglob("*") if p.is_file()]
    assert len(files) > 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert SALT not in text, path
        assert PASSWORD not in text, path


def test_the_job_lists_and_fills_every_secret(job_dir: Path) -> None:
    job = json.loads((job_dir / "job" / "job.json").read_text())
    assert job["secrets"] == ["LAKEGATE_PG_PASSWORD", "LG_TEST_SALT"]
    properties = json.loads((job_dir / "application_properties.json").read_text())
    assert properties[1]["PropertyMap"] == {"LAKEGATE_PG_PASSWORD": "", "LG_TEST_SALT": ""}
    sql = (job_dir / "job" / "pipeline.sql").read_text()
    assert "SHA256('${secret:LG_TEST_SALT}' || `email`)" in sql
    # at start: the property group first, else the environment; only the names job.json lists
    groups = [{"PropertyGroupId": "lakegate.secrets", "PropertyMap": {"LAKEGATE_PG_PASSWORD": "pw", "X": "x"}}]
    values = runtime.secret_values(job["secrets"], groups, {"LG_TEST_SALT": SALT, "LAKEGATE_PG_PASSWORD": "env"})
    assert values == {"LAKEGATE_PG_PASSWORD": "pw", "LG_TEST_SALT": SALT}
    filled = runtime.fill_secrets(sql, values)
    assert f"SHA256('{SALT}' || `email`)" in filled and "'password' = 'pw'" in filled.replace("  ", "")
    assert "${secret:" not in filled


def test_table_configuration_the_sql_relies_on(job_dir: Path) -> None:
    job = json.loads((job_dir / "job" / "job.json").read_text())
    assert job["table_configuration"] == SESSION_CONFIG == {"table.local-time-zone": "UTC"}


class FakeConfig(dict[str, str]):
    def set(self, key: str, value: str) -> None:
        self[key] = value


class FakeTableEnv:
    def __init__(self) -> None:
        self.config = FakeConfig()

    def get_config(self) -> FakeConfig:
        return self.config


def test_table_options_are_set_even_on_managed_flink() -> None:
    t_env = FakeTableEnv()
    runtime.set_options(t_env, {"table.local-time-zone": "UTC"})
    runtime.configure(t_env, {"parallelism.default": "2"}, managed=True)
    assert t_env.config == {"table.local-time-zone": "UTC"}
