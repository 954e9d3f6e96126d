"""Many processes, one truth: two server processes and an outbox worker on one Postgres and Redis.

Server A runs the in-process worker, server B none; a `memoria worker --concurrency 2` process
drains beside them, so three claimers race for every job. What a user sees must not depend on
which process answered: limits are shared, a thread runs one turn at a time, every job is done
once, and a fact told to one process is recalled by the other.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from configs.settings import REPO_ROOT
from storage.services import ServiceURLs
from storage.versions import user_scope
from tests.support import ServerProcess, new_config, own_database, turn_body

pytestmark = [pytest.mark.integration, pytest.mark.process]

TURNS_PER_USER_PER_HOUR = 8
WORKER_STARTUP_S = 120


class Cluster:
    """Two servers and a worker process on one database."""

    def __init__(self, urls: ServiceURLs, a: ServerProcess, b: ServerProcess) -> None:
        self.urls = urls
        self.a = a
        self.b = b

    def sql(self, query: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.urls.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def drained(self, tenant: str, timeout_s: float = 60) -> None:
        """Wait until no job of `tenant` is left in the outbox."""
        deadline = time.monotonic() + timeout_s
        query = "SELECT count(*) FROM memory_outbox WHERE tenant_id = %s"
        while self.sql(query, tenant)[0][0]:
            assert time.monotonic() < deadline, "the outbox was not drained"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def cluster(service_urls: ServiceURLs) -> Iterator[Cluster]:
    urls = own_database(service_urls, "procs")
    limit = {"MEMORIA_RATE_LIMIT_PER_USER": f"{TURNS_PER_USER_PER_HOUR}/hour"}
    # One after the other: the first migrates the new database.
    with (
        ServerProcess(urls, MEMORIA_WORKER="inprocess", **limit) as a,
        ServerProcess(urls, MEMORIA_WORKER="off", **limit) as b,
    ):
        cmd = "import sys, cli; sys.exit(cli.main(['worker', '--concurrency', '2']))"
        worker = subprocess.Popen(
            [sys.executable, "-c", cmd], cwd=REPO_ROOT, env=a.env, stdout=subprocess.PIPE
        )
        try:
            assert worker.stdout is not None
            assert worker.stdout.readline().startswith(b"memoria worker:")
            yield Cluster(urls, a, b)
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def test_a_fact_told_to_one_process_is_recalled_by_the_other(cluster: Cluster) -> None:
    told = new_config()
    assert cluster.a.invoke("My dog is called Bolt.", told).status_code == 200
    cluster.drained(told["configurable"]["tenant_id"])

    asked = new_config(told["configurable"]["tenant_id"], told["configurable"]["user_id"])
    response = cluster.b.invoke("What is my dog called?", asked)

    assert response.status_code == 200
    assert "Bolt" in response.json()["output"]["messages"][-1]["content"]


def test_a_thread_runs_one_turn_at_a_time_and_every_job_is_done_once(cluster: Cluster) -> None:
    config = new_config(summary_max_messages=100)
    tenant, user = config["configurable"]["tenant_id"], config["configurable"]["user_id"]
    questions = [f"What about the weather on day {n}?" for n in range(6)]

    async def send_together() -> list[int]:
        async with httpx.AsyncClient(timeout=60) as http:
            sent = [
                http.post(f"{server.url}/agent/invoke", json=turn_body(question, config))
                for question, server in zip(questions, [cluster.a, cluster.b] * 3, strict=True)
            ]
            return [r.status_code for r in await asyncio.gather(*sent)]

    assert asyncio.run(send_together()) == [200] * 6
    last = cluster.a.invoke("And tomorrow?", config).json()["output"]["messages"]

    # Every turn saw the ones before it: no window lost another process's turn.
    window = [m["content"] for m in last if m["type"] == "human"]
    assert sorted(window[:-1]) == sorted(questions) and window[-1] == "And tomorrow?"
    assert len(last) == 14
    # Three claimers, seven jobs, each applied once: the user's memory moved once per turn
    # and each question was indexed once.
    cluster.drained(tenant)
    version = cluster.sql(
        "SELECT version FROM memory_versions WHERE tenant_id = %s AND scope = %s",
        tenant,
        user_scope(user),
    )
    assert version == [(7,)]
    indexed = cluster.sql(
        "SELECT count(*), count(DISTINCT content) FROM memory_messages WHERE tenant_id = %s",
        tenant,
    )
    assert indexed == [(7, 7)]


def test_a_users_rate_limit_holds_across_processes(cluster: Cluster) -> None:
    for _ in range(2):  # Again if the sequence straddled the limit's hourly window.
        window = int(time.time() // 3600)
        config = new_config()
        statuses = [
            server.invoke(f"Question {n} about plans?", config).status_code
            for n, server in zip(range(12), [cluster.a, cluster.b] * 6, strict=True)
        ]
        if int(time.time() // 3600) == window:
            break
    assert statuses.count(200) == TURNS_PER_USER_PER_HOUR
    assert statuses[TURNS_PER_USER_PER_HOUR:] == [429] * (12 - TURNS_PER_USER_PER_HOUR)
