"""Faults: the server killed mid-stream, Redis stopped and Postgres restarted under load.

The load tests run a real server process on real embedded Postgres and Redis, break one of
them while clients talk to it, and check what a user would notice; two graph-level tests pin
down what a crash or a failure inside a turn leaves in its thread.

A turn is *acknowledged* when `/agent/invoke` answered 200, or when `/agent/stream` delivered
the `persist` node's update: persist commits the turn (its messages and its outbox job, in one
transaction) before that update leaves the server. An acknowledged turn must be in its
thread's transcript exactly once, whatever happens afterwards. A turn that was not
acknowledged may be there or not (its commit may have landed just before the failure), but
only whole: its question together with its answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest
import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from prometheus_client.parser import text_string_to_metric_families
from psycopg_pool import PoolTimeout

from cli.chat import stream_turn
from configs.settings import Settings
from graph.builder import build_graph
from memory.conversation import ConversationMemory
from storage.pool import FailFastPool, check_if_suspect
from storage.services import EmbeddedServices, ServiceURLs
from storage.speed import SOCKET_TIMEOUT_S, SpeedLayer, connect_redis
from tests.fakes import RuleChatModel
from tests.integration.test_long_term_memory import ask, ident_of
from tests.support import ServerProcess, new_config

pytestmark = [pytest.mark.integration, pytest.mark.fault]

logger = logging.getLogger(__name__)

# The per-user limit must not refuse the load; the limiter still counts every turn in Redis.
LOAD_ENV = {"MEMORIA_RATE_LIMIT_PER_USER": "100000/minute"}
CLIENTS = 4
# While Postgres is down the first requests wait the pool timeout for a connection, later
# ones a tenth of a second; a run cut off midway asks again while LangGraph saves what it
# finished. Anything longer is a hang.
LONGEST_ANSWER_S = Settings.model_fields["pool_timeout_s"].default + 3
# After Postgres or Redis is back, the server must be using it again within this.
RECOVERY_S = 15.0


@dataclass
class Turn:
    """One turn a client sent, and what came of it."""

    config: dict
    text: str
    via: str
    started: float
    finished: float = 0.0
    acked: bool = False
    status: int | None = None  # HTTP status, or the status of a stream's error event
    error: str = ""  # what went wrong as the client saw it; empty if nothing did
    retry_after: str | None = None
    problem: dict | None = None
    output: dict | None = None  # an invoke's answer: the thread's state after the turn
    updates: int = 0  # node updates a stream delivered

    @property
    def thread_id(self) -> str:
        return self.config["configurable"]["thread_id"]

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def _body(text: str, config: dict) -> dict:
    return {"input": {"messages": [{"type": "human", "content": text}]}, "config": config}


async def invoke_once(http: httpx.AsyncClient, config: dict, text: str) -> Turn:
    """Send a turn to /agent/invoke; acknowledged by a 200."""
    turn = Turn(config, text, "invoke", time.monotonic())
    try:
        response = await http.post("/agent/invoke", json=_body(text, config))
    except httpx.TransportError as exc:
        turn.error = repr(exc)
    else:
        turn.status = response.status_code
        turn.acked = response.status_code == 200
        if turn.acked:
            turn.output = response.json()["output"]
        else:
            turn.error = response.text[:500]
            turn.retry_after = response.headers.get("retry-after")
            if response.headers.get("content-type") == "application/problem+json":
                turn.problem = response.json()
    turn.finished = time.monotonic()
    return turn


def stream_once(
    url: str, config: dict, text: str, on_update: Callable[[str], None] | None = None
) -> Turn:
    """Send a turn to /agent/stream with `memoria chat`'s client; acknowledged by persist."""
    turn = Turn(config, text, "stream", time.monotonic())
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            for node, _update in stream_turn(http, text, config):
                turn.updates += 1
                turn.acked = turn.acked or node == "persist"
                if on_update:
                    on_update(node)
        turn.status = 200
    except RuntimeError as exc:  # refused, or an error event: "<status>: <why>"
        turn.error = str(exc)
        turn.status = int(turn.error.split(":", 1)[0])
    except httpx.TransportError as exc:
        turn.error = repr(exc)
    turn.finished = time.monotonic()
    return turn


@dataclass
class Load:
    """Clients sending turns back to back, each on a thread of its own, until stopped."""

    url: str
    tenant: str = field(default_factory=lambda: f"t-{uuid.uuid4().hex[:8]}")
    turns: list[Turn] = field(default_factory=list)
    configs: list[dict] = field(default_factory=list)

    @asynccontextmanager
    async def running(self, clients: int = CLIENTS) -> AsyncIterator[None]:
        stop = asyncio.Event()
        self.configs = [new_config(self.tenant) for _ in range(clients)]
        tasks = [asyncio.create_task(self._client(n, stop)) for n in range(clients)]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)

    async def _client(self, n: int, stop: asyncio.Event) -> None:
        config = self.configs[n]
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as http:
            i = 0
            while not stop.is_set():
                text = f"Client {n}, turn {i}: my token is {uuid.uuid4().hex[:8]}."
                if i % 3 == 2:  # every third turn streams, as the chat page does
                    turn = await asyncio.to_thread(stream_once, self.url, config, text)
                else:
                    turn = await invoke_once(http, config, text)
                self.turns.append(turn)
                i += 1
                await asyncio.sleep(0.05)

    def within(self, start: float, end: float) -> list[Turn]:
        """Return the turns sent and answered between `start` and `end`."""
        return [t for t in self.turns if t.started >= start and t.finished <= end]


def stored_questions(url: str, config: dict, *, may_be_absent: bool = False) -> list[str]:
    """Return a thread's questions from its transcript, checking it holds whole turns once.

    A thread is created by its first acknowledged turn: `may_be_absent` when none was.
    """
    ids = config["configurable"]
    response = httpx.get(
        f"{url}/threads/{ids['thread_id']}",
        headers={"X-User-Id": ids["user_id"], "X-Tenant-Id": ids["tenant_id"]},
        timeout=30,
    )
    if may_be_absent and response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    message_ids = [m["data"]["id"] for m in messages]
    assert len(message_ids) == len(set(message_ids)), "a message is stored twice"
    kinds = [m["type"] for m in messages]
    assert kinds == ["human", "ai"] * (len(kinds) // 2), f"not whole turns: {kinds}"
    questions = [m["data"]["content"] for m in messages[::2]]
    assert len(questions) == len(set(questions)), "a turn is stored twice"
    return questions


def assert_acknowledged_turns_stored(url: str, turns: list[Turn]) -> int:
    """Check every thread's transcript against what its client saw; return the turns stored."""
    by_thread: dict[str, list[Turn]] = defaultdict(list)
    for turn in turns:
        by_thread[turn.thread_id].append(turn)
    stored = 0
    for thread_turns in by_thread.values():
        acked = [t.text for t in thread_turns if t.acked]
        questions = stored_questions(url, thread_turns[0].config, may_be_absent=not acked)
        assert [q for q in questions if q in acked] == acked, "an acknowledged turn is missing"
        assert set(questions) <= {t.text for t in thread_turns}, "a turn nobody sent"
        stored += len(questions)
    return stored


def assert_outbox_drained(database_url: str, tenant: str, questions: int) -> None:
    """Wait for the server's worker to index every stored question once, and only once."""
    deadline = time.monotonic() + 30
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            pending = conn.execute(
                "SELECT count(*) FROM memory_outbox WHERE tenant_id = %s", (tenant,)
            ).fetchone()[0]
            if not pending:
                break
            assert time.monotonic() < deadline, f"{pending} outbox jobs never processed"
            time.sleep(0.2)
        indexed = conn.execute(
            "SELECT count(*) FROM memory_messages WHERE tenant_id = %s AND role = 'human'",
            (tenant,),
        ).fetchone()[0]
    assert indexed == questions


def metric(url: str, name: str) -> float:
    """Return a metric of the server summed over its labels."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


async def eventually(check: Callable[[], bool], timeout_s: float) -> float:
    """Poll `check` until it holds; return how long that took (fail after `timeout_s`)."""
    started = time.monotonic()
    while not await asyncio.to_thread(check):
        assert time.monotonic() - started < timeout_s, f"not within {timeout_s} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_a_turn_sent_again_after_its_checkpoint_was_lost_is_stored_once(agent, resources):
    # With LangGraph's default durability (LangGraph Platform, Studio), a crash can land after
    # persist committed the turn and before the checkpoint recording it was written. The
    # thread then resumes from the checkpoint taken just before persist, and the next turn's
    # persist sends the first turn again.
    config = new_config()
    await ask(agent, config, "My bike is the blue one.")
    history = [s async for s in agent.aget_state_history(config)]
    before_persist = next(s for s in history if s.next == ("persist",)).config["configurable"]
    resumed = {"configurable": {**config["configurable"], **before_persist}}
    await ask(agent, resumed, "And my car is the red one.")

    ident = ident_of(config)
    transcript = await resources.conversation.transcript(ident)
    assert [m.text for m in transcript if m.type == "human"] == [
        "My bike is the blue one.",
        "And my car is the red one.",
    ]
    assert len({m.id for m in transcript}) == len(transcript) == 4
    window = await resources.conversation.recent(ident, 20)
    assert [m.id for m in window] == [m.id for m in transcript]


@pytest.mark.parametrize("durability", ["exit", "async"])
async def test_a_turn_that_failed_midway_leaves_no_half_turn_in_its_thread(resources, durability):
    # The model fails on some questions: LangGraph has saved what those runs finished (the
    # question, at least) by the time they fail, and the next turn must not pick it up. The
    # graph itself drops the leftovers, so HTTP and LangGraph-server runs are alike.
    def rule(messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        if "fail" in messages[-1].text:
            raise RuntimeError("model unavailable")
        return AIMessage("Noted.")

    model = RuleChatModel(rule=rule)
    graph = build_graph(resources, chat_model=model, checkpointer=resources.storage.checkpointer)
    config = new_config()
    questions = ["Please fail first.", "Hello!", "Then fail again.", "Still there?"]
    for text in questions:
        run = {"messages": [HumanMessage(text)]}
        if "fail" in text:
            with pytest.raises(RuntimeError, match="model unavailable"):
                await graph.ainvoke(run, config, durability=durability)
            assert (await graph.aget_state(config)).next == ("generate",)
        else:
            await graph.ainvoke(run, config, durability=durability)

    state = (await graph.aget_state(config)).values
    transcript = await resources.conversation.transcript(ident_of(config))
    finished = ["Hello!", "Still there?"]
    assert [m.text for m in state["messages"] if m.type == "human"] == finished
    assert [m.text for m in transcript] == ["Hello!", "Noted.", "Still there?", "Noted."]


async def test_a_failed_turn_sent_again_with_the_same_ids_is_answered_once(resources):
    # A client that retries a failed turn with the very same message is answered, and the
    # question is stored once, not dropped as the failed turn's leftover.
    failing = {"on": True}

    def rule(messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        if failing["on"]:
            raise RuntimeError("model unavailable")
        return AIMessage("Noted.")

    graph = build_graph(
        resources, chat_model=RuleChatModel(rule=rule), checkpointer=resources.storage.checkpointer
    )
    config = new_config()
    question = HumanMessage("My train leaves at 9.", id=str(uuid.uuid4()))
    with pytest.raises(RuntimeError, match="model unavailable"):
        await graph.ainvoke({"messages": [question]}, config)
    failing["on"] = False
    out = await graph.ainvoke({"messages": [question]}, config)
    assert [(m.type, m.text) for m in out["messages"]] == [
        ("human", "My train leaves at 9."),
        ("ai", "Noted."),
    ]
    transcript = await resources.conversation.transcript(ident_of(config))
    assert [m.text for m in transcript] == ["My train leaves at 9.", "Noted."]


async def streams_cut_by_kill(
    server: ServerProcess, configs: list[dict], text: str, kill_at: Callable[[str], bool]
) -> list[Turn]:
    """Stream one turn per thread at once; SIGKILL the server when a stream gets `kill_at`."""
    lock, killed = threading.Lock(), threading.Event()

    def kill_on(node: str) -> None:
        with lock:
            if kill_at(node) and not killed.is_set():
                killed.set()
                server.kill()

    turns = await asyncio.gather(
        *(
            asyncio.to_thread(stream_once, server.url, config, f"Thread {n}: {text}", kill_on)
            for n, config in enumerate(configs)
        )
    )
    assert killed.is_set(), "no stream got far enough to be killed"
    logger.info(
        "killed at %s: %d of %d streams acknowledged, %d finished",
        text,
        sum(t.acked for t in turns),
        len(turns),
        sum(t.status == 200 for t in turns),
    )
    return turns


@pytest.mark.process
async def test_server_killed_mid_stream_loses_no_acknowledged_turn(service_urls: ServiceURLs):
    server = ServerProcess(service_urls)
    server.start()
    try:
        tenant = f"t-{uuid.uuid4().hex[:8]}"
        configs = [new_config(tenant) for _ in range(3)]
        codes = [uuid.uuid4().hex[:6] for _ in configs]
        turns = []
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            for n, config in enumerate(configs):
                text = f"Thread {n}: my locker code is {codes[n]}."
                turns.append(await invoke_once(http, config, text))
                text = f"Thread {n}: the spare key is in the blue drawer."
                turns.append(await asyncio.to_thread(stream_once, server.url, config, text))
        assert all(t.acked for t in turns), [t.error for t in turns]

        # Killed at the first node update: every stream is cut before persist.
        early = await streams_cut_by_kill(server, configs, "what is in the drawer?", bool)
        assert not any(t.acked for t in early)
        assert all(t.status is None and t.error for t in early)
        server.start()
        # Killed the moment a stream is acknowledged: its run has not finished (nor has
        # its checkpoint been written), the others are wherever they are.
        late = await streams_cut_by_kill(
            server, configs, "where is the spare key?", lambda node: node == "persist"
        )
        assert any(t.acked for t in late)
        started = time.monotonic()
        server.start()
        logger.info("server restarted in %.1f s", time.monotonic() - started)

        turns += early + late
        stored = assert_acknowledged_turns_stored(server.url, turns)
        assert_outbox_drained(service_urls.database_url, tenant, stored)

        # The threads carry on: each answer comes from a window holding the thread's finished
        # turns, and finds what the first turn said.
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            for n, config in enumerate(configs):
                after = await invoke_once(http, config, "What is my locker code?")
                assert after.acked, after.error
                assert codes[n] in after.output["messages"][-1]["content"]
                questions = stored_questions(server.url, config)
                assert questions[-1] == after.text
                window = [m["content"] for m in after.output["messages"] if m["type"] == "human"]
                assert window == [q for q in questions if q in window]
                finished = [t.text for t in turns if t.config is config and t.status == 200]
                assert set(finished) <= set(window)
    finally:
        server.kill()


@pytest.mark.process
async def test_redis_stopped_under_load_fails_no_request_and_is_used_again(
    service_urls: ServiceURLs, own_redis: EmbeddedServices
):
    urls = ServiceURLs(service_urls.database_url, own_redis.redis_url)
    with ServerProcess(urls, **LOAD_ENV) as server:
        fallbacks = metric(server.url, "memoria_redis_fallbacks_total")
        load = Load(server.url)
        async with load.running():
            await asyncio.sleep(2)
            down_at = time.monotonic()
            await asyncio.to_thread(own_redis.stop_redis)
            await asyncio.sleep(4)
            back_at = time.monotonic()
            await asyncio.to_thread(own_redis.ensure_redis)
            recovery_s = await eventually(
                lambda: metric(server.url, "memoria_redis_up") == 1, RECOVERY_S
            )
            # Redis came back empty: every thread's hot window is written there again.
            windows = [ConversationMemory.window_key(ident_of(c)) for c in load.configs]
            with redis.Redis.from_url(own_redis.redis_url) as client:
                rewritten_s = await eventually(
                    lambda: client.exists(*windows) == len(windows), RECOVERY_S
                )

        failed = [t for t in load.turns if not t.acked or t.error]
        assert not failed, [(t.via, t.status, t.error) for t in failed]
        during = load.within(down_at, back_at)
        assert len(during) >= CLIENTS, "the load did not run while Redis was down"
        assert metric(server.url, "memoria_redis_fallbacks_total") > fallbacks
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
        stored = assert_acknowledged_turns_stored(server.url, load.turns)
        logger.info(
            "redis down %.1f s: %d turns, %d of them while down, 0 failed; "
            "redis used again %.1f s after it was back, every hot window rewritten %.1f s "
            "later; %d turns stored",
            back_at - down_at,
            len(load.turns),
            len(during),
            recovery_s,
            rewritten_s,
            stored,
        )


@pytest.mark.process
async def test_a_hung_redis_costs_a_call_one_timeout_then_is_skipped(own_redis: EmbeddedServices):
    # A Redis that stops answering (paused, or a network that drops packets) is worse than
    # one that is gone: nothing refuses the connection. The call on a hung Redis gives up
    # after one socket timeout (redis-py's default policy would retry it three times with
    # backoff, 2 s at the very least), and calls in the pause after it skip Redis at once.
    speed = SpeedLayer(connect_redis(own_redis.redis_url), pause_s=0.5)
    await speed.run("probe", lambda r: r.set("memoria:probe", "1"), None)
    pid = int((own_redis.redis_dir / "redis.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert await speed.run("probe", lambda r: r.get("memoria:probe"), "down") == "down"
        first_s = time.monotonic() - started
        started = time.monotonic()
        assert await speed.run("probe", lambda r: r.get("memoria:probe"), "down") == "down"
        skipped_s = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert first_s < 3 * SOCKET_TIMEOUT_S, first_s
    assert skipped_s < SOCKET_TIMEOUT_S / 5, skipped_s
    # Answering again: once the pause is over, the next call reaches Redis.
    await asyncio.sleep(0.5)
    assert await speed.run("probe", lambda r: r.get("memoria:probe"), "down") == b"1"
    await speed.redis.aclose()


@pytest.mark.process
async def test_postgres_restarted_under_load_answers_503_then_recovers(
    service_urls: ServiceURLs, own_postgres: EmbeddedServices
):
    database_url = own_postgres.ensure_postgres()
    urls = ServiceURLs(database_url, service_urls.redis_url)
    with ServerProcess(urls, **LOAD_ENV) as server:
        load = Load(server.url)
        async with load.running():
            await asyncio.sleep(2)
            # Postgres stops as soon as one more stream has sent its first update: that
            # stream's run loses Postgres midway (unless it is quicker than the stop).
            stopping: list[float] = []  # when pg_ctl stop began, and when it returned

            def stop_postgres(node: str) -> None:
                if not stopping:
                    stopping.append(time.monotonic())
                    own_postgres.stop_postgres()
                    stopping.append(time.monotonic())

            probe = new_config(load.tenant)
            cut = await asyncio.to_thread(
                stream_once, server.url, probe, "Where did I leave my keys?", stop_postgres
            )
            down_at, gone_at = stopping

            def waited(turn: Turn) -> float:
                """How long a turn went on once Postgres was gone (the stop's own time on a
                busy machine, a shutdown checkpoint included, is not the server's to answer for).
                """
                return turn.finished - max(turn.started, gone_at)

            await asyncio.sleep(2)
            ids = load.configs[0]["configurable"]
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                ready, thread = await asyncio.gather(
                    http.get("/readyz"),
                    http.get(
                        f"/threads/{ids['thread_id']}",
                        headers={"X-User-Id": ids["user_id"], "X-Tenant-Id": ids["tenant_id"]},
                    ),
                )
            await asyncio.sleep(2)
            await asyncio.to_thread(own_postgres.ensure_postgres)
            back_at = time.monotonic()

            def every_client_answered_again() -> bool:
                answered = {t.thread_id for t in load.turns if t.acked and t.started > back_at}
                return len(answered) == CLIENTS

            await eventually(every_client_answered_again, RECOVERY_S)
            await asyncio.sleep(1)

        assert server.proc.poll() is None  # the same process throughout
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert thread.status_code == 503 and thread.headers["retry-after"] == "5"
        assert thread.headers["content-type"] == "application/problem+json"
        assert "Postgres" in thread.json()["detail"]

        # The stream cut off midway ended with an error event, not a hang.
        assert cut.acked or (cut.status == 503 and "Postgres" in cut.error), cut.error
        assert waited(cut) < LONGEST_ANSWER_S, (cut.seconds, gone_at - down_at)
        load.turns.append(cut)

        # While Postgres is down: 503 with Retry-After and a problem detail, soon; never a 500.
        wrong = [t for t in load.turns if not t.acked and t.status != 503]
        assert not wrong, [(t.via, t.status, t.error) for t in wrong]
        refused = [t for t in load.turns if t.status == 503]
        assert refused, "no request noticed Postgres was down"
        for turn in refused:
            assert "Postgres" in turn.error
            if turn.via == "invoke":
                assert turn.retry_after == "5"
                assert turn.problem and turn.problem["status"] == 503
        slow = [
            (t.via, t.status, t.updates, t.started - down_at, t.seconds)
            for t in load.turns
            if waited(t) >= LONGEST_ANSWER_S
        ]
        assert not slow, (slow, gone_at - down_at)

        # Back without a restart: every client's turns succeed again, and the outbox worker
        # (with its LISTEN connection) indexes every stored turn.
        first_ok = min(t.finished for t in load.turns if t.acked and t.finished > back_at)
        stored = assert_acknowledged_turns_stored(server.url, load.turns)
        assert_outbox_drained(database_url, load.tenant, stored)
        waits = sorted(waited(t) for t in refused)
        logger.info(
            "stream cut by the stop: acknowledged=%s, %d updates, then %r after %.1f s",
            cut.acked,
            cut.updates,
            cut.error[:40],
            cut.seconds,
        )
        logger.info(
            "postgres stopped in %.1f s, down %.1f s: %d turns, %d acknowledged, %d got 503 "
            "(%d of them streams cut after an update; waited %.1f s median, %.1f s at most); "
            "503s from %.1f s to %.1f s after the stop; first turn answered %.1f s after "
            "Postgres was back; %d turns stored",
            gone_at - down_at,
            back_at - down_at,
            len(load.turns),
            sum(t.acked for t in load.turns),
            len(refused),
            sum(t.updates > 0 for t in refused),
            waits[len(waits) // 2],
            waits[-1],
            min(t.finished for t in refused) - down_at,
            max(t.finished for t in refused) - down_at,
            first_ok - back_at,
            stored,
        )


@pytest.mark.process
@pytest.mark.parametrize("check", [check_if_suspect, None], ids=["checked", "unchecked"])
async def test_pooled_connections_killed_by_a_restart_are_replaced_not_handed_out(
    own_postgres: EmbeddedServices, check
):
    database_url = own_postgres.ensure_postgres()
    pool = FailFastPool(database_url, min_size=2, max_size=2, check=check, open=False)
    await pool.open(wait=True, timeout=30)
    try:
        own_postgres.stop_postgres()
        own_postgres.ensure_postgres()
        # Both pooled connections died with the old server; the next checkout must not fail.
        async with pool.connection() as conn:
            handed_out = await conn.execute("SELECT 1")
            assert await handed_out.fetchone() == (1,)
    except psycopg.OperationalError:
        if check is not None:
            raise
    else:
        assert check is not None, "without a check the pool handed out a dead connection"
    finally:
        await pool.close()


async def test_when_one_caller_times_out_the_callers_queued_behind_it_fail_with_it(
    service_urls: ServiceURLs,
):
    # A pool with its only connection taken behaves, to its callers, like a Postgres that is
    # down: nobody gets a connection. The caller queued second must not wait its own whole
    # timeout after the first one has found out (LangGraph's saver would add the two up).
    pool = FailFastPool(service_urls.database_url, min_size=1, max_size=1, timeout=3, open=False)
    await pool.open(wait=True, timeout=30)
    held = await pool.getconn()

    async def check_out() -> tuple[type[BaseException] | None, float]:
        started = time.monotonic()
        try:
            await pool.putconn(await pool.getconn())
        except PoolTimeout as exc:
            return type(exc), time.monotonic() - started
        return None, time.monotonic() - started

    try:
        first = asyncio.create_task(check_out())
        await asyncio.sleep(1.5)
        (first_error, first_s), (second_error, second_s) = await asyncio.gather(first, check_out())
        third_error, third_s = await check_out()
    finally:
        await pool.putconn(held)
    try:
        assert first_error is second_error is third_error is PoolTimeout
        assert first_s >= 3
        assert second_s < 2.5, second_s  # failed with the first, ~1.5 s into its 3 s
        assert third_s < 0.5, third_s  # after a timeout, callers wait a moment only
        async with pool.connection() as conn:  # and once a connection is free, all is well
            assert await (await conn.execute("SELECT 1")).fetchone() == (1,)
    finally:
        await pool.close()
