"""Abuse: generated requests against the OpenAPI spec, and the odd inputs clients send."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from urllib.parse import quote

import httpx
import psycopg
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from psycopg import sql
from schemathesis.checks import not_a_server_error

from api import create_app
from cli.process import HTTP_OPTIONS
from configs.settings import Settings
from graph.resources import Resources
from storage.services import ServiceURLs
from tests.support import (
    BASE_URL,
    AsgiAdapter,
    own_database,
    resources_like,
    served_api,
    socket_server,
)

pytestmark = pytest.mark.integration

TENANT = f"abuse-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def abuse_urls(service_urls: ServiceURLs) -> ServiceURLs:
    """A database of this module's own: generated DELETEs must not reach other tests' data."""
    return own_database(service_urls, "abuse")


@pytest.fixture(scope="module")
async def abuse_resources(
    abuse_urls: ServiceURLs, resources: Resources
) -> AsyncIterator[Resources]:
    # No worker runs in-process: nothing writes behind the requests' backs, so row counts
    # before and after compare. Generated requests that name no tenant stay clear of other
    # tests' Redis keys.
    changed = {"database_url": abuse_urls.database_url, "memoria_default_tenant": TENANT}
    async with resources_like(resources, **changed) as res:
        yield res


@pytest.fixture(scope="module")
async def app(abuse_resources: Resources) -> AsyncIterator[FastAPI]:
    """The HTTP API on the module's database (`client` calls it)."""
    # Generated ids repeat ("0", "A"); past 60 turns a user would only get 429s.
    async with served_api(abuse_resources, memoria_rate_limit_per_user="off") as served:
        yield served


@pytest.fixture(scope="module")
async def requests_session(client: httpx.AsyncClient) -> AsyncIterator[requests.Session]:
    """A requests session (what schemathesis calls with) whose requests reach `client`'s app."""
    with requests.Session() as http:
        http.mount(BASE_URL, AsgiAdapter(client, asyncio.get_running_loop()))
        yield http


# --- Generated requests: every operation of the OpenAPI spec ---------------------------------
#
# Positive (valid per the spec) and negative (invalid) examples for each operation, the same
# ones on every run: derandomized, no example database. The coverage phase is off because
# schemathesis builds its cases while pytest collects, about 20 s here for every run that
# collects this file, even one that deselects it; negative examples and the tests below
# cover the same ground. Not in the spec, so not generated: the chat page (`/`, `/web/*`:
# static files) and `/docs`, `/openapi.json` themselves. Hypothesis's health checks on slow or
# much-filtered generation judge the generator on a busy box (they failed a loaded CI run once),
# not the server: the checks on each response below are the test.
FUZZ = schemathesis.Config.from_dict(
    {
        "suppress-health-check": ["too_slow", "filter_too_much"],
        "generation": {
            "mode": "all",
            "max-examples": 100,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"coverage": {"enabled": False}},
    }
)

# Loaded at collection, when no app runs yet; a test below checks the app serves it.
SPEC = create_app(Settings(_env_file=None)).openapi()
fuzzed = schemathesis.openapi.from_dict(SPEC, config=FUZZ)


def refusals_are_problem_details(ctx, response, case) -> None:
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type") == ["application/problem+json"], (
            f"{response.status_code} without problem details: {response.text[:200]}"
        )
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"], problem


def streams_end_without_an_error_event(ctx, response, case) -> None:
    # A run that fails inside the stream is a server error the 200 status hides.
    streams = ("/agent/stream", "/agent/stream_log", "/agent/stream_events")
    if case.operation.path in streams and response.status_code == 200:
        assert "event: error" not in response.text, response.text[-300:]


async def test_the_fuzzed_spec_is_the_served_one(client):
    assert (await client.get("/openapi.json")).json() == SPEC


# Sync, as hypothesis runs it: the session runs the (then idle) event loop for each request.
@fuzzed.parametrize()
def test_generated_requests_get_no_server_error(case, requests_session):
    response = case.call(base_url=BASE_URL, session=requests_session, timeout=60)
    checks = [not_a_server_error, refusals_are_problem_details, streams_end_without_an_error_event]
    case.validate_response(response, checks=checks)


async def test_unexpected_methods_are_refused_with_problem_details(client):
    for method, path in [("TRACE", "/threads"), ("PUT", "/agent/invoke"), ("PATCH", "/users/a")]:
        assert_clear_refusal(await client.request(method, path), 405)


# --- Hand-written abuse: what the issue names, beyond test_server's malformed bodies ---------


def row_counts(database_url: str) -> dict[str, int]:
    """Rows per table of the module's database: a refused request must change none."""
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        return {
            f"{schema}.{table}": conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
            ).fetchone()[0]
            for schema, table in tables
        }


@pytest.fixture
def nothing_stored(abuse_urls: ServiceURLs) -> Iterator[None]:
    before = row_counts(abuse_urls.database_url)
    yield
    assert row_counts(abuse_urls.database_url) == before


async def post_json(client: httpx.AsyncClient, path: str, body: object) -> httpx.Response:
    # json.dumps escapes non-ASCII, so lone surrogates travel as valid JSON (\ud800).
    raw = json.dumps(body).encode()
    return await client.post(path, content=raw, headers={"content-type": "application/json"})


def turn(text: object, tenant: str | None = None, **configurable: object) -> dict:
    ids = {"tenant_id": tenant or TENANT, "user_id": "ana", "thread_id": str(uuid.uuid4())}
    return {
        "input": {"messages": [{"type": "human", "content": text}]},
        "config": {"configurable": {**ids, **configurable}},
    }


def assert_clear_refusal(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["title"] == HTTPStatus(response.status_code).phrase
    assert problem["detail"]
    return problem


def nested(depth: int, leaf: object = 1) -> str:
    return "[" * depth + json.dumps(leaf) + "]" * depth


DEEP_IN = {
    "whole-body": "{deep}",
    "message-content": '{{"input": {{"messages": [{{"type": "human", "content": {deep}}}]}}}}',
    "knob": '{{"input": {{"messages": [{{"type": "human", "content": "hi"}}]}},'
    ' "config": {{"configurable": {{"user_id": "ana", "thread_id": "deep", "k": {deep}}}}}}}',
    # Fields memoria never reads: refused too past 32 levels, accepted within (see below).
    "config-metadata": '{{"input": {{"messages": [{{"type": "human", "content": "hi"}}]}},'
    ' "config": {{"metadata": {{"x": {deep}}}, "configurable": {{"user_id": "ana",'
    ' "thread_id": "{thread}"}}}}}}',
    "kwargs": '{{"input": {{"messages": [{{"type": "human", "content": "hi"}}]}},'
    ' "kwargs": {{"x": {deep}}},'
    ' "config": {{"configurable": {{"user_id": "ana", "thread_id": "{thread}"}}}}}}',
}


def deep_body(where: str, depth: int) -> bytes:
    return DEEP_IN[where].format(deep=nested(depth), thread=uuid.uuid4()).encode()


# 10k levels stop the JSON parser; 900 get past it, to the validation behind it.
@pytest.mark.parametrize(
    ("where", "depth"), [(where, depth) for where in DEEP_IN for depth in (10_000, 900)]
)
async def test_deeply_nested_json_is_refused_clearly(client, nothing_stored, where, depth):
    response = await client.post(
        "/agent/invoke", content=deep_body(where, depth),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert_clear_refusal(response, 400, 422)


@pytest.mark.parametrize("where", ["config-metadata", "kwargs"])
async def test_some_nesting_where_memoria_reads_nothing_is_harmless(client, where):
    response = await client.post(
        "/agent/invoke", content=deep_body(where, 28),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"", "application/json"),
        (b"null", "application/json"),
        (b'"just a string"', "application/json"),
        (
            b'{"input": {"messages": [{"type": "human", "content": "hi"}]}} trailing',
            "application/json",
        ),
        (json.dumps(turn("hi")).encode(), "text/plain"),
    ],
    ids=["empty", "null", "string", "trailing-garbage", "text-plain"],
)
async def test_malformed_bodies_are_refused_clearly(client, nothing_stored, raw, content_type):
    response = await client.post(
        "/agent/invoke", content=raw, headers={"content-type": content_type}
    )
    assert_clear_refusal(response, 400, 422)


@pytest.mark.parametrize(
    ("knobs", "names"),
    [
        ('"k": 1e400', "k"),  # parses as infinity
        ('"k": NaN', "k"),  # Python's JSON parser accepts NaN and Infinity
        ('"k": 1.5', "k"),
        ('"k": true', "k"),
        ('"k": 1000000000000000000000000000000', "k"),
        ('"fetch_k": -Infinity', "fetch_k"),
        ('"neighbour_weight": NaN', "neighbour_weight"),
        ('"rerank_threshold": "high"', "rerank_threshold"),
        ('"rerank_threshold": Infinity', "rerank_threshold"),
        ('"rerank_min_keep": "one"', "rerank_min_keep"),
        ('"rerank": "yes"', "rerank"),
        ('"summary_max_tokens": [3000]', "summary_max_tokens"),
        ('"max_tool_rounds": 1.5', "max_tool_rounds"),
        ('"strategy": ["hybrid"]', "strategy"),
        ('"fusion": {"zscore": 1}', "fusion"),
    ],
)
async def test_malformed_knobs_are_refused_naming_the_knob(client, nothing_stored, knobs, names):
    raw = (
        '{"input": {"messages": [{"type": "human", "content": "what is the refund policy?"}]},'
        f' "config": {{"configurable": {{"user_id": "ana", "thread_id": "{uuid.uuid4()}",'
        f" {knobs}}}}}}}"
    ).encode()
    response = await client.post(
        "/agent/invoke", content=raw, headers={"content-type": "application/json"}
    )
    assert names in assert_clear_refusal(response, 422)["detail"]


ODD_TEXT = {
    "rtl-override": "pay \u202eevig\u202c now \u200f\u200e",
    "emoji-zwj": "family 👩\u200d👩\u200d👧\u200d👦 flag 🇵🇹 skin 👍🏽",
    "combining": "Z" + "\u0301\u0308\u0327" * 60 + "algo e\u0301 vs \u00e9",
    "zero-width-and-bom": "\ufeffinvisible\u200b\u200c\u2060 joiners",
    "astral-math": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 \U0010fffd",
    "line-separators": "one\u2028two\u2029three\r\nfour\x1b[31m red\x07",
    "one-long-token": "x" * 1999 + "y",  # the server's limit is 2000 characters
    "mixed-scripts": "Olá مرحبا שלום こんにちは Привет",
}


@pytest.mark.parametrize("text", ODD_TEXT.values(), ids=ODD_TEXT.keys())
async def test_odd_unicode_text_is_answered_and_stored_exactly(client, text):
    body = turn(text)
    response = await post_json(client, "/agent/invoke", body)
    assert response.status_code == 200, response.text[:300]
    ids = body["config"]["configurable"]
    headers = {"x-user-id": ids["user_id"], "x-tenant-id": ids["tenant_id"]}
    thread = (await client.get(f"/threads/{ids['thread_id']}", headers=headers)).json()
    assert thread["messages"][0]["data"]["content"] == text


BAD_IDS = {
    "nul": "a\x00b",
    "lone-surrogate": "a\ud800b",
    "rtl-mark": "ana\u202e",
    "emoji": "ana🙂",
    "combining": "ane\u0301",
    "fullwidth": "ａｎａ",
    "space": "an a",
    "newline": "ana\n",
    "leading-dot": ".ana",
    "129-chars": "a" * 129,
    "10k-chars": "a" * 10_000,
}


@pytest.mark.parametrize("field", ["user_id", "thread_id", "tenant_id"])
@pytest.mark.parametrize("value", BAD_IDS.values(), ids=BAD_IDS.keys())
async def test_odd_ids_in_config_are_refused_naming_the_field(client, nothing_stored, field, value):
    response = await post_json(client, "/agent/invoke", turn("hello", **{field: value}))
    assert field in assert_clear_refusal(response, 422)["detail"]


@pytest.mark.parametrize("value", BAD_IDS.values(), ids=BAD_IDS.keys())
async def test_odd_ids_in_paths_and_headers_are_refused(client, nothing_stored, value):
    path_id = quote(value.encode("utf-8", "surrogatepass"), safe="")
    header = value.encode("utf-8", "surrogatepass")  # sent as these raw bytes
    # A path over the URL limit (8 KiB) is refused before the id is read.
    status = 414 if len(path_id) > 8192 else 422
    in_path = [
        await client.get(f"/threads/{path_id}", headers={"x-user-id": "ana"}),
        await client.delete(f"/threads/{path_id}", headers={"x-user-id": "ana"}),
        await client.get(f"/users/{path_id}/facts"),
        await client.get(f"/users/{path_id}/strategy"),
        await client.get(f"/users/{path_id}/consent"),
        await client.get(f"/users/{path_id}/export"),
        await client.put(f"/users/{path_id}/consent", json={"memory": False}),
        await client.delete(f"/users/{path_id}"),
        await client.delete(f"/documents/{path_id}"),
        await client.get(f"/documents/jobs/{path_id}"),
    ]
    for response in in_path:
        assert_clear_refusal(response, status)
    refusals = []
    if b"\n" not in header and b"\x00" not in header:  # else no HTTP client can send it
        refusals += [
            await client.get("/threads", headers={"x-user-id": header}),
            await client.get("/documents", headers={"x-tenant-id": header}),
            await client.delete("/users/ana", headers={"x-tenant-id": header}),
        ]
    for response in refusals:
        assert_clear_refusal(response, 422)


@pytest.mark.parametrize(
    ("limit", "status"),
    [(v, 422) for v in ("abc", "١٢", "1e3", "99999999999999999999", "-1", "0", "", "1.5", "%00")]
    # Python's int() reads these as 5, 5 and 10: odd, and harmless.
    + [("+5", 200), ("%205", 200), ("1_0", 200)],
)
async def test_odd_query_params_are_refused_or_read_as_numbers(client, limit, status):
    for path in ("/threads", "/users/ana/strategy"):
        response = await client.get(f"{path}?limit={limit}", headers={"x-user-id": "ana"})
        if status == 200:
            assert response.status_code == 200, response.text
        else:
            assert "limit" in assert_clear_refusal(response, 422)["detail"]


MULTIPART_HEAD = (
    b"--abuse\r\n"
    b'Content-Disposition: form-data; name="file"; filename="big.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
)


@pytest.mark.parametrize(
    ("path", "content_type", "head", "tail"),
    [
        (
            "/agent/invoke",
            "application/json",
            b'{"input": {"messages": [{"type": "human", "content": "',
            b'"}]}}',
        ),
        ("/documents", "multipart/form-data; boundary=abuse", MULTIPART_HEAD, b"\r\n--abuse--\r\n"),
    ],
    ids=["json", "multipart"],
)
async def test_a_chunked_body_over_the_limit_is_refused(
    client, nothing_stored, path, content_type, head, tail
):
    async def chunks() -> AsyncIterator[bytes]:  # no content-length: the app counts what arrives
        yield head
        for _ in range(5):
            yield b"x" * (1 << 20)
        yield tail

    response = await client.post(path, content=chunks(), headers={"content-type": content_type})
    assert "limit of 4194304 bytes" in assert_clear_refusal(response, 413)["detail"]


async def test_an_upload_over_the_body_limit_is_refused(client, nothing_stored):
    files = {"file": ("big.txt", b"word " * (1 << 20), "text/plain")}
    response = await client.post("/documents", files=files)
    assert_clear_refusal(response, 413)


async def test_too_many_inputs_or_messages_in_one_request_are_refused(client, nothing_stored):
    one = {"messages": [{"type": "human", "content": "hi"}]}
    configs = [{"configurable": {"user_id": "ana", "thread_id": f"t{i}"}} for i in range(33)]
    batch = await post_json(client, "/agent/batch", {"inputs": [one] * 33, "config": configs})
    assert "inputs" in assert_clear_refusal(batch, 422)["detail"]

    body = turn("hi")
    body["input"]["messages"] = [{"type": "human", "content": "hi"}] * 10_000
    response = await post_json(client, "/agent/invoke", body)
    assert "send at most 32" in assert_clear_refusal(response, 422)["detail"]


MEMORIES = "/users/ana/memories"
BAD_MEMORY_REQUESTS = {
    "text-and-messages": (
        "post",
        MEMORIES,
        {"text": "hi", "messages": [{"role": "user", "content": "hi"}]},
        422,
        "not both",
    ),
    "neither": ("post", MEMORIES, {}, 422, "either text"),
    "nul-in-text": ("post", MEMORIES, {"text": "I like \x00 tea"}, 422, "NUL"),
    "surrogate-in-message": (
        "post",
        MEMORIES,
        {"messages": [{"role": "user", "content": "a\ud800"}]},
        422,
        "unicode",
    ),
    "blank-text": ("post", MEMORIES, {"text": "   "}, 422, "empty"),
    "system-role": (
        "post",
        MEMORIES,
        {"messages": [{"role": "system", "content": "obey"}]},
        422,
        "role",
    ),
    "33-messages": (
        "post",
        MEMORIES,
        {"messages": [{"role": "user", "content": "hi"}] * 33},
        422,
        "messages",
    ),
    "long-message": (
        "post",
        MEMORIES,
        {"messages": [{"role": "user", "content": "a" * 2001}]},
        413,
        "limit",
    ),
    "odd-thread": (
        "post",
        MEMORIES,
        {"messages": [{"role": "user", "content": "hi"}], "thread_id": "a b"},
        422,
        "thread_id",
    ),
    "thread-with-text": ("post", MEMORIES, {"text": "hi", "thread_id": "t1"}, 422, "thread_id"),
    "unknown-field": ("post", MEMORIES, {"text": "hi", "metadata": {}}, 422, "metadata"),
    "naive-time": (
        "post",
        f"{MEMORIES}/search",
        {"query": "x", "after": "2026-01-01T00:00:00"},
        422,
        "after",
    ),
    "unknown-kind": (
        "post",
        f"{MEMORIES}/search",
        {"query": "x", "kinds": ["secrets"]},
        422,
        "kinds",
    ),
    "k-too-big": ("post", f"{MEMORIES}/search", {"query": "x", "k": 51}, 422, "k"),
    "odd-memory-id": ("put", f"{MEMORIES}/a%20b", {"text": "hi"}, 422, "memory_id"),
    "unknown-memory": ("put", f"{MEMORIES}/{uuid.uuid4()}", {"text": "hi"}, 404, "not found"),
}


@pytest.mark.parametrize("request_", BAD_MEMORY_REQUESTS.values(), ids=BAD_MEMORY_REQUESTS.keys())
async def test_bad_memory_requests_are_refused_and_store_nothing(client, nothing_stored, request_):
    method, path, body, status, named = request_
    raw = json.dumps(body).encode()
    response = await client.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )
    assert named in assert_clear_refusal(response, status)["detail"]


MCP_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "x-user-id": "ana",
}
NUL_FACT = {"name": "remember", "arguments": {"fact": "I like \u0000 tea"}}
MCP_BODIES = {
    "not-json": b"not json",
    "empty-object": b"{}",
    "no-method": b'{"jsonrpc": "2.0", "id": 1}',
    "unknown-method": b'{"jsonrpc": "2.0", "id": 1, "method": "users/drop"}',
    "unknown-tool": b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call",'
    b' "params": {"name": "drop_all", "arguments": {}}}',
    "nul-in-a-fact": json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": NUL_FACT}
    ).encode(),
    "deep": nested(5000).encode(),
}


@pytest.mark.parametrize("body", MCP_BODIES.values(), ids=MCP_BODIES.keys())
async def test_odd_mcp_requests_get_no_server_error_and_store_nothing(client, nothing_stored, body):
    response = await client.post("/mcp", content=body, headers=MCP_HEADERS)
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 200:  # a JSON-RPC error, as the protocol answers
        assert "error" in response.text or '"isError":true' in response.text, response.text


async def test_oversized_urls_and_headers_are_refused(client, nothing_stored):
    long_path = await client.get(f"/threads/{'a' * 60_000}", headers={"x-user-id": "ana"})
    assert "URL is 60009 bytes" in assert_clear_refusal(long_path, 414)["detail"]
    long_query = await client.get(f"/threads?limit=1&x={'a' * 9000}", headers={"x-user-id": "a"})
    assert_clear_refusal(long_query, 414)
    long_header = await client.get("/threads", headers={"x-user-id": "a" * (1 << 20)})
    assert "headers are" in assert_clear_refusal(long_header, 431)["detail"]
    many = {f"x-padding-{i}": "p" * 200 for i in range(100)}  # 20 KB in all
    body = turn("hello")
    assert_clear_refusal(await client.post("/agent/invoke", json=body, headers=many), 431)
    # Within the limits: ids say what is wrong with them.
    long_id = await client.get(f"/threads/{'a' * 8000}", headers={"x-user-id": "ana"})
    assert "thread_id" in assert_clear_refusal(long_id, 422)["detail"]
    big_header = await client.get("/threads", headers={"x-user-id": "a" * 15_000})
    assert "user_id" in assert_clear_refusal(big_header, 422)["detail"]


async def head_status(port: int, pad: int) -> bytes:
    """Send a request whose head carries `pad` bytes of header; return the status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = b"GET /healthz HTTP/1.1\r\nHost: memoria\r\nX-Pad: " + b"a" * pad + b"\r\n\r\n"
    writer.write(head)
    try:
        await writer.drain()
    except ConnectionError:
        pass  # the server may stop reading (and close) before all of it is sent
    try:
        return await asyncio.wait_for(reader.readline(), 30)
    finally:
        writer.close()


async def test_memoria_serve_bounds_what_it_buffers_of_a_request_head(app):
    async with socket_server(app, **HTTP_OPTIONS) as url:
        port = int(url.rsplit(":", 1)[1])
        assert b" 431 " in await head_status(port, 1 << 20)
        # Past what h11 buffers, the server answers 400 and closes, unread.
        assert b" 400 " in await head_status(port, 6 << 20)
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/healthz")).status_code == 200
