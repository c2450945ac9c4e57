"""CPU-heavy work leaves the event loop: a bounded pool of worker processes, a time budget.

Parsing, linting, diffing and rendering a large document take seconds of pure Python; on
the event loop they stall every other request, `/health/live` included (a 3.6 MB lint held
it for 10 s). Here such work runs in worker processes (``pebble``: a process pool whose tasks
have a timeout, and whose worker is killed and replaced when one runs over), so:

- the loop only waits for a future, and answers everything else meanwhile;
- work over ``SIGNOFF_CPU__BUDGET_S`` is stopped and answered 422 ``cpu_budget_exceeded``,
  naming the limit, instead of occupying a core for as long as the input makes it;
- at most ``workers + queue`` pieces are accepted at once per server process; beyond that
  the answer is 503 ``cpu_busy`` with ``Retry-After``, not an ever longer queue.

Input smaller than ``inline_below_bytes`` is handled on the loop: sending it to a process
would cost more than the work. The functions given must be importable module-level functions
with picklable arguments and results (they run in another process).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import multiprocessing
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, ParamSpec, TypeVar

from signoff.core.config import CpuSettings
from signoff.core.errors import ServiceUnavailableError, UnprocessableError

T = TypeVar("T")
P = ParamSpec("P")

# Modules every worker imports once, before it takes work (forkserver preload).
PRELOAD = ["signoff.docformat"]


class CpuBudgetExceededError(UnprocessableError):
    code = "cpu_budget_exceeded"
    title = "The request needs more processing than one request may have"


class CpuBusyError(ServiceUnavailableError):
    code = "cpu_busy"
    title = "Every document worker is busy; retry"


class CpuPool:
    """One server process's share of the worker processes, with its bounds."""

    def __init__(self, settings: CpuSettings) -> None:
        self._settings = settings
        self._accepted = 0

    @property
    def settings(self) -> CpuSettings:
        return self._settings

    @property
    def accepted(self) -> int:
        """Pieces of work running or waiting now."""
        return self._accepted

    async def run(self, work: Callable[..., T], *args: Any, size: int, what: str) -> T:
        """``work(*args)`` in a worker process (on the loop when ``size`` in bytes is small);
        ``what`` names the work in the refusal ("linting the document")."""
        settings = self._settings
        if settings.workers == 0 or size < settings.inline_below_bytes:
            return work(*args)
        if self._accepted >= settings.workers + settings.queue:
            raise CpuBusyError(
                f"{settings.workers + settings.queue} pieces of document work are in progress "
                "or waiting (SIGNOFF_CPU__WORKERS, SIGNOFF_CPU__QUEUE).",
                headers={"Retry-After": "2"},
            )
        self._accepted += 1
        try:
            future = _pool(settings.workers).schedule(work, args=args, timeout=settings.budget_s)
            return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            raise CpuBudgetExceededError(
                f"{what.capitalize()} took longer than {settings.budget_s:g} s, the limit "
                "(SIGNOFF_CPU__BUDGET_S); it was stopped. Split the document, or shrink its "
                "largest tables.",
                limit="SIGNOFF_CPU__BUDGET_S",
                limit_value=settings.budget_s,
            ) from exc
        except _expired() as exc:
            raise CpuBudgetExceededError(
                f"{what.capitalize()} stopped its worker process (it ran out of memory or "
                "crashed); the input is too large or too complex.",
                limit="SIGNOFF_CPU__BUDGET_S",
                limit_value=settings.budget_s,
            ) from exc
        finally:
            self._accepted -= 1


_pools: dict[int, Any] = {}
_lock = threading.Lock()


def _pool(workers: int) -> Any:
    """The process's pool of ``workers`` processes, started at first use and shared by every
    app of the process (tests make many), stopped at exit."""
    with _lock:
        pool = _pools.get(workers)
        if pool is None or not pool.active:
            from pebble import ProcessPool

            # Forked from a clean server process, not from this one with its threads
            # (the log writer, the event loop): fork() copies only the calling thread.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            pool = _pools[workers] = ProcessPool(max_workers=workers, context=context)
        return pool


def _expired() -> type[BaseException]:
    from pebble import ProcessExpired

    return ProcessExpired


def in_daemon_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """``work()`` in a thread of its own that does not hold the process at exit.

    For start-up work that may still run when the server is told to stop (the OpenAPI
    document takes seconds of CPU on a busy machine): ``asyncio.to_thread`` would run it in
    the loop's default executor, which ``asyncio.run`` waits for after the server has
    finished, so the process stayed up seconds after "Finished server process"."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def run() -> None:
        deliver: Callable[[], None]
        try:
            deliver = partial(_resolve, future, work())
        except Exception as exc:  # handed to the awaiting coroutine
            deliver = partial(_reject, future, exc)
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(deliver)

    threading.Thread(target=run, name="signoff-startup", daemon=True).start()
    return future


def _resolve(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # else cancelled meanwhile
        future.set_result(result)


def _reject(future: asyncio.Future[Any], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


def start(settings: CpuSettings) -> None:
    """Start the workers now (the server's startup) rather than at the first large request."""
    if settings.workers > 0:
        _pool(settings.workers)


@atexit.register
def stop_all() -> None:
    with _lock:
        for pool in _pools.values():
            pool.stop()
            pool.join(timeout=5)
        _pools.clear()
