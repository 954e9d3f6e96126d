"""The embedded Postgres and Redis: real processes, started, reused and stopped."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from storage.services import EmbeddedServices, ServiceURLs, resolve_service_urls

pytestmark = [pytest.mark.integration, pytest.mark.process]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def postgres_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def redis_pid(data_dir: Path) -> int:
    return int((data_dir / "redis" / "redis.pid").read_text().strip())


def processes_using(data_dir: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(f"{proc.info['pid']}: {cmdline}")
    return found


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Under /tmp: pgserver makes the data dir's parents world-readable when run as root.
    path = Path(tempfile.mkdtemp(prefix="memoria-svc-"))
    try:
        yield path
    finally:
        EmbeddedServices(path).stop_postgres()  # each test stops the redis on its own port
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def services(data_dir: Path) -> Iterator[EmbeddedServices]:
    svc = EmbeddedServices(data_dir, redis_port=free_port())
    try:
        yield svc
    finally:
        svc.down()


def test_up_reuse_status_down(services: EmbeddedServices, data_dir: Path) -> None:
    urls = services.up()
    password = services.redis_password
    assert urls.redis_url == f"redis://:{password}@127.0.0.1:{services.redis_port}/0"
    assert urls.database_url.startswith("postgresql://")

    with psycopg.connect(urls.database_url, autocommit=True) as conn:
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        assert {"vector", "pg_trgm"} <= extensions
        distance = conn.execute("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector").fetchone()[0]
        assert 0 < distance < 0.05
        assert conn.execute("SELECT similarity('memoria', 'memory')").fetchone()[0] > 0

    client = redis.Redis.from_url(urls.redis_url, decode_responses=True)
    try:
        assert client.ping()
        assert client.execute_command("FT._LIST") == []
        client.execute_command("JSON.SET", "doc", "$", '{"a": [1, 2]}')
        assert client.execute_command("JSON.GET", "doc", "$.a") == "[[1,2]]"
    finally:
        client.close()

    pg_pid, r_pid = postgres_pid(data_dir), redis_pid(data_dir)
    assert services.up() == urls
    assert (postgres_pid(data_dir), redis_pid(data_dir)) == (pg_pid, r_pid)
    # A fresh object (as another process would build) finds the same servers too.
    assert EmbeddedServices(data_dir, redis_port=services.redis_port).up() == urls

    status = services.status()
    assert status["postgres"] == {
        "running": True,
        "url": urls.database_url,
        "pid": pg_pid,
        "data_dir": str(data_dir / "postgres"),
    }
    assert status["redis"] == {
        "running": True,
        "url": urls.redis_url,
        "pid": r_pid,
        "data_dir": str(data_dir / "redis"),
    }

    services.down()
    assert not alive(pg_pid) and not alive(r_pid)
    assert processes_using(data_dir) == []
    status = services.status()
    assert not status["postgres"]["running"] and status["postgres"]["url"] is None
    assert not status["redis"]["running"] and status["redis"]["url"] is None
    services.down()


def test_a_first_start_keeps_initdbs_output_in_a_log_file(
    services: EmbeddedServices, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        services.ensure_postgres()
    assert [r.getMessage()[:80] for r in caplog.records if r.name == "pgserver"] == []
    log = (data_dir / "pgserver.log").read_text()
    assert "initdb" in log and "Success" in log


def test_up_again_after_down_keeps_data(services: EmbeddedServices) -> None:
    urls = services.up()
    with psycopg.connect(urls.database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v vector(3))")
        conn.execute("INSERT INTO kept VALUES ('[1,2,3]')")
    services.down()

    # Same process: pgserver's cached handle must not hand back the stopped server.
    assert services.up() == urls
    with psycopg.connect(urls.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone()[0] == 1
    assert redis.Redis.from_url(urls.redis_url).ping()


def test_resolve_uses_external_urls_without_starting(data_dir: Path) -> None:
    given = ServiceURLs("postgresql://db.example/x", "redis://cache.example:6379/0")
    port = free_port()
    assert resolve_service_urls(given.database_url, given.redis_url, data_dir, port) == given
    assert list(data_dir.iterdir()) == []


def test_resolve_starts_only_the_missing_service(data_dir: Path) -> None:
    port = free_port()
    services = EmbeddedServices(data_dir, redis_port=port)
    try:
        urls = resolve_service_urls(None, "redis://cache.example:6379/0", data_dir, port)
        assert urls.redis_url == "redis://cache.example:6379/0"
        assert services.status()["postgres"]["running"]
        assert not services.status()["redis"]["running"]
        with psycopg.connect(urls.database_url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        services.down()


def test_redis_start_failure_reports_log_tail(data_dir: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        services = EmbeddedServices(data_dir, redis_port=squatter.getsockname()[1])
        with pytest.raises(RuntimeError, match="(?s)did not come up.*Address already in use"):
            services.ensure_redis()
    assert processes_using(data_dir) == []


def test_redis_wants_its_password_and_local_state_is_private(
    services: EmbeddedServices, data_dir: Path
) -> None:
    urls = services.up()
    with redis.Redis(host="127.0.0.1", port=services.redis_port) as stranger:
        with pytest.raises(redis.AuthenticationError, match="(?i)auth"):
            stranger.ping()
    with redis.Redis.from_url(urls.redis_url) as client:
        assert client.ping()
    # Not on the command line, where any local user reads it.
    assert services.redis_password not in " ".join(psutil.Process(redis_pid(data_dir)).cmdline())

    def mode(path: Path) -> int:
        return path.stat().st_mode & 0o777

    assert mode(services.redis_password_file) == 0o600
    assert mode(services.redis_dir / "redis.conf") == 0o600
    assert mode(services.redis_dir) == 0o700
    assert mode(services.pg_dir) == 0o700
    # Root's postgres runs as the OS user `pgserver`, which must pass through the data dir.
    assert mode(data_dir) in ((0o711,) if os.geteuid() == 0 else (0o700,))
    # A new object (another process) uses the same password: it is kept, not made anew.
    assert EmbeddedServices(data_dir, redis_port=services.redis_port).up() == urls
