"""Run CPU-bound work in a child process with a time and memory budget, off the event loop.

Reading a document is CPU work whose cost a hostile file chooses: in the server's process it
would hold the event loop (and the GIL) for every tenant. A child can be killed when its time
is up and has its address space capped, so the worst a file can do is fail its own upload.
Children fork from multiprocessing's fork server, which has the reading modules imported: a
child costs milliseconds, not an interpreter start, and never inherits the server's threads.
Nor does a child import the parent's main script again (`knowledge.forkserver` says why), so
`fn` must live in a module, not in the script that calls `run`.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import resource
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import spawn
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from knowledge.forkserver import SANDBOX_MAIN

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What the fork server imports once, so that children start with it loaded.
PRELOAD = ["knowledge.forkserver", "knowledge.reading", "pypdf"]
# Children run at a lower priority than the server, which answers requests meanwhile.
NICENESS = 10

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)


@dataclass(frozen=True, kw_only=True)
class Budget:
    """What one call may use: wall-clock seconds and memory beyond the child's start."""

    seconds: float = 30.0
    memory_bytes: int = 512 * 2**20


class OverBudget(ValueError):
    """The work ran out of time or memory and was stopped."""


class Sandbox:
    """Run functions in budgeted child processes, at most `slots` at a time."""

    def __init__(self, *, slots: int = 2) -> None:
        """Allow `slots` children at once; further calls wait for one to finish."""
        self._slots = asyncio.Semaphore(slots)

    async def run(self, budget: Budget, fn: Callable[..., T], *args: Any) -> T:
        """Return `fn(*args)` computed in a child process within `budget`.

        `fn` and its arguments are pickled: `fn` must be importable by name.

        Raises:
            OverBudget: It took longer than the budget's seconds, or needed more memory.
            ValueError: `fn` raised ValueError (its message), or another error, or the child
                died without an answer (what happened, in the message).
        """
        async with self._slots:
            return await _run_child(budget, fn, args)


async def _run_child(budget: Budget, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    _name_main_script()
    receive, send = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_child_main, args=(send, budget, fn, args), daemon=True)
    try:
        # Starting talks to the fork server (and starts it the first time): blocking calls.
        await asyncio.to_thread(child.start)
        send.close()  # the child holds the only writing end: its death means end of file
        try:
            async with asyncio.timeout(budget.seconds):
                await _readable(receive, child)
        except TimeoutError:
            raise OverBudget(f"took longer than {budget.seconds:g} s") from None
        if not receive.poll():
            raise ValueError(f"the reader stopped without an answer ({_exit(child)})")
        try:
            payload = await asyncio.to_thread(receive.recv_bytes)
        except EOFError:
            raise ValueError(f"the reader stopped without an answer ({_exit(child)})") from None
    finally:
        if child.is_alive():
            child.kill()
        if child.pid is not None:
            await asyncio.to_thread(child.join, 5)
            if child.exitcode is not None:
                child.close()
        receive.close()
        send.close()
    kind, value = pickle.loads(payload)
    if kind == "ok":
        return value
    if kind == "memory":
        raise OverBudget(f"needed more than {budget.memory_bytes // 2**20} MB of memory")
    raise ValueError(value)


def _name_main_script() -> None:
    """Tell the fork server, before it starts, which script children need not run again."""
    main_path = spawn.get_preparation_data("sandbox").get("init_main_from_path")
    os.environ[SANDBOX_MAIN] = main_path or ""  # a value inherited from our parent is not ours


async def _readable(receive: Connection, child: Any) -> None:
    """Wait until the child's answer can be read or the child has exited."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fds = (receive.fileno(), child.sentinel)
    for fd in fds:
        loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        for fd in fds:
            loop.remove_reader(fd)


def _exit(child: Any) -> str:
    child.join(1)
    code = child.exitcode
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


def _child_main(send: Connection, budget: Budget, fn: Callable[..., Any], args: tuple) -> None:
    """Apply the budget to this process, run `fn` and send back its outcome."""
    _limit(budget)
    # A hostile file makes parsers warn thousands of times; the outcome says what matters.
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    try:
        outcome: tuple[str, Any] = ("ok", fn(*args))
    except MemoryError:
        outcome = ("memory", None)
    except ValueError as exc:
        outcome = ("error", str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the caller, who decides
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory", None))
    send.send_bytes(payload)
    send.close()


def _limit(budget: Budget) -> None:
    """Cap this process's address space and CPU time, and lower its priority."""
    os.nice(NICENESS)
    # CPU seconds as a backstop should the parent fail to kill us on time.
    cpu = int(budget.seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the time budget still holds
        logger.debug("no /proc/self/statm: memory budget not applied")
        return
    limit = size + budget.memory_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
