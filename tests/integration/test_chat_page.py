"""The chat page at `/`, driven in headless Chromium against the HTTP API on a real socket.

The app runs in this process (served by uvicorn on the test's event loop); the browser is
the process started.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from graph.resources import Resources
from storage.services import ServiceURLs
from tests.support import (
    drain,
    mint_key,
    own_database,
    resources_like,
    served_api,
    socket_server,
)

pytestmark = [pytest.mark.integration, pytest.mark.process]


@pytest.fixture(scope="module")
async def url(app) -> AsyncIterator[str]:
    async with socket_server(app) as served:
        yield served


async def settled(page, quiet_s: float = 0.5) -> None:
    """Wait until no request of the page has ended for `quiet_s` seconds (its fetches done)."""
    count = "performance.getEntriesByType('resource').length"
    ended = await page.evaluate(count)
    while True:
        await asyncio.sleep(quiet_s)
        if (now := await page.evaluate(count)) == ended:
            return
        ended = now


async def launch(pw):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (make setup installs it)"
    return await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])


async def test_send_a_message_see_the_streamed_answer_sources_and_memory(url, resources):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (make setup installs it)"
    user = f"u-{uuid.uuid4().hex[:8]}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # Chromium logs every content-security-policy violation to the console.
        page.on(
            "console",
            lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        loaded = await page.goto(url + "/")
        assert "script-src 'self'" in loaded.headers["content-security-policy"]
        await page.fill("#user", user)
        await page.press("#user", "Tab")  # change event: a new thread for this user

        async def say(text: str) -> str:
            answers = await page.locator(".msg.ai").count()
            await page.fill("#text", text)
            await page.click("#ask button")
            last = page.locator(".msg.ai").nth(answers)
            await last.wait_for()
            # Locators, not wait_for_function: the page's policy forbids the eval it uses.
            await expect(last).not_to_have_text("…")
            return await last.text_content()

        await say("My favourite tea is genmaicha.")
        answer = await say("What did I just say?")
        assert "genmaicha" in answer
        assert (await page.text_content("#strategy")).startswith("recent_history")
        assert (
            "genmaicha" in await page.locator(".msg.ai").nth(1).locator(".sources").text_content()
        )
        # The memory panel: the fact extracted after the ack (by a worker; here, now), and
        # this thread in the list.
        await drain(resources)
        await page.click("#new-thread")
        await expect(page.locator("#threads li")).to_have_count(2)
        await expect(page.locator("#facts")).to_contain_text("genmaicha", timeout=20000)
        assert await page.locator(".msg").count() == 0  # the new thread starts empty
        assert await page.text_content("#error") == ""
        assert errors == []
        await browser.close()


@pytest.fixture(scope="module")
async def keyed(service_urls: ServiceURLs, resources: Resources) -> AsyncIterator[tuple]:
    """The API requiring keys, on a database of its own, served on a socket: (url, resources)."""
    urls = own_database(service_urls, "chat_page")
    async with resources_like(resources, database_url=urls.database_url) as res:
        async with (
            served_api(res, memoria_auth="api_key") as served,
            socket_server(served) as url,
        ):
            yield url, res


async def test_with_keys_the_page_keeps_a_user_token_never_the_key(keyed):
    url, res = keyed
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    _, key = await mint_key(res.pool, tenant, "chat page")
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(url + "/")
        await page.fill("#user", "ana")
        await page.press("#user", "Tab")
        await page.fill("#key", key)
        await page.press("#key", "Tab")  # change event: the key is exchanged for a token
        # Locators, not wait_for_function: the page's policy forbids the eval it uses.
        await expect(page.locator("#session")).to_contain_text("signed in as ana")
        assert await page.input_value("#key") == ""
        stored = await page.evaluate(
            "JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
        )
        assert key not in stored and "memoria.session" in stored

        await settled(page)
        await page.fill("#text", "My favourite tea is genmaicha.")
        await page.click("#ask button")
        # The answer, then the panels' refresh, done before the token is revoked below.
        await expect(page.locator("#threads li")).to_have_count(1)
        await settled(page)
        assert "genmaicha" in await page.text_content(".msg.human")
        assert await page.text_content(".msg.ai") not in ("", "…")
        assert await page.text_content("#error") == ""
        # The turn is ana's, in the key's tenant: the token acted for her.
        async with httpx.AsyncClient(base_url=url) as http:
            auth = {"authorization": f"Bearer {key}", "x-user-id": "ana"}
            listed = (await http.get("/threads", headers=auth)).json()["threads"]
            assert len(listed) == 1
            # Revoked: the page says so, forgets the token and asks for the key again.
            revoked = await http.delete("/users/ana/tokens", headers=auth)
            assert revoked.json()["tokens_revoked"] == 1
        await page.fill("#text", "Still there?")
        await page.click("#ask button")
        await expect(page.locator("#error")).not_to_have_text("")
        assert "revoked" in await page.text_content("#error")
        assert "sign in again" in await page.text_content("#error")
        assert await page.text_content("#session") == ""
        assert "memoria.session" not in await page.evaluate("JSON.stringify({...sessionStorage})")
        assert errors == []
        await browser.close()


# One knowledge-base document and two questions on it, per language the page speaks.
PAGES = {
    "en-1280": (1280, "parking.md", "# Parking\n\nThe staff parking code is 4417. Visitors park "
                "on level 2.\n", ["What is the staff parking code?", "Where do visitors park?"],
                "New thread"),
    "pt-360": (360, "estacionamento.md", "# Estacionamento\n\nO código do estacionamento do "
               "pessoal é 4417. Os visitantes estacionam no piso 2.\n",
               ["Qual é o código do estacionamento do pessoal?",
                "Onde estacionam os visitantes?"], "Nova conversa"),
}  # fmt: skip


@pytest.fixture(scope="module")
async def own_tenant_url(resources: Resources) -> AsyncIterator[str]:
    """The page in local mode on a tenant of its own: its uploads reach no other test."""
    tenant = f"page-{uuid.uuid4().hex[:8]}"
    async with served_api(resources, memoria_default_tenant=tenant) as app:
        async with socket_server(app) as served:
            yield served


@pytest.mark.parametrize(
    ("width", "filename", "text", "questions", "new_thread"), PAGES.values(), ids=PAGES.keys()
)
async def test_upload_ask_sources_per_answer_and_thread_switch_at_any_width(
    own_tenant_url, width, filename, text, questions, new_thread
):
    url = own_tenant_url
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": width, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto(url + "/")
        await page.fill("#user", f"u-{uuid.uuid4().hex[:8]}")
        await page.press("#user", "Tab")

        await page.set_input_files(
            "#file",
            files=[{"name": filename, "mimeType": "text/markdown", "buffer": text.encode()}],
        )
        await expect(page.locator("#upload-status")).to_contain_text(filename, timeout=60_000)
        await expect(page.locator("progress#upload-progress")).to_be_visible()
        await expect(page.locator("#upload-status")).to_contain_text("(", timeout=60_000)

        for n, question in enumerate(questions):
            await page.fill("#text", question)
            await page.click("#ask button")
            answer = page.locator(".msg.ai").nth(n)
            await expect(answer).not_to_have_text("…")
            # Each answer keeps its own sources, the first too once the second has come.
            await expect(answer.locator(".sources")).to_contain_text(filename.split(".")[0])
        await expect(page.locator(".msg.ai .sources")).to_have_count(2)
        strategy = await page.text_content("#strategy")
        assert strategy != "–"
        # Titled by its first question; labels in the conversation's language.
        await expect(page.locator("#threads li.current")).to_have_text(questions[0])
        await expect(page.locator("#new-thread")).to_have_text(new_thread)

        await page.click("#new-thread")
        await expect(page.locator(".msg")).to_have_count(0)
        await expect(page.locator("#strategy")).to_have_text("–")  # the new thread's, not the last
        await page.locator("#threads li", has_text=questions[0]).click()
        await expect(page.locator(".msg.ai")).to_have_count(2)
        await expect(page.locator(".msg.ai .sources")).to_have_count(2)  # kept with the thread
        await expect(page.locator("#strategy")).to_have_text(strategy)

        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow} px wider than the {width} px screen"
        if shots := os.environ.get("MEMORIA_SCREENSHOTS"):
            await page.screenshot(path=f"{shots}/chat-page-{width}.png", full_page=True)
        await browser.close()
    assert errors == []
