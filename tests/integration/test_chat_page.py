"""The chat page at `/`, driven in headless Chromium against the HTTP API on a real socket.

The app runs in this process (served by uvicorn on the test's event loop); the browser is
the process started.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import async_playwright, expect

from tests.support import drain, socket_server

pytestmark = [pytest.mark.integration, pytest.mark.process]


@pytest.fixture(scope="module")
async def url(app) -> AsyncIterator[str]:
    async with socket_server(app) as served:
        yield served


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
        assert "genmaicha" in await page.text_content("#sources")
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
