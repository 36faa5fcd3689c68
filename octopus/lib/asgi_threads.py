"""Django's ASGI handler with its request threads kept, not made anew for every request.

Django runs each HTTP request's synchronous code (middleware, views, the ORM) in a
thread of that request's own, started for it and joined after it. That cost every
request a thread start and join and, since Django's database connections belong to a
thread, a new database connection with its setup, which made persistent connections
(CONN_MAX_AGE) useless: a trivial page took ~5 ms over loopback here. asgiref lets the
caller supply the executor of a request's thread-sensitive context; here each request
borrows one of a fixed set of single-thread executors, so the threads and their
connections live on. The set also bounds how many requests run Django code at once; the
rest wait their turn on the event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

THREADS = 16


class _Pool:
    """Single-thread executors of one event loop, made as needed up to THREADS."""

    def __init__(self) -> None:
        self.free: asyncio.Queue[ThreadPoolExecutor] = asyncio.Queue()
        self.made = 0

    async def borrow(self) -> ThreadPoolExecutor:
        if self.free.empty() and self.made < THREADS:
            self.made += 1
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{self.made}")
        return await self.free.get()

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        self.free.put_nowait(executor)

    def close(self) -> None:
        """The loop is gone: let the idle threads end."""
        while not self.free.empty():
            self.free.get_nowait().shutdown(wait=False)


# Per event loop: tests run several loops, one after another.
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()


class PooledThreadsASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send) -> None:
        loop = asyncio.get_running_loop()
        pool = _pools.get(loop)
        if pool is None:
            pool = _pools[loop] = _Pool()
            weakref.finalize(loop, pool.close)
        executor = await pool.borrow()
        try:
            # Django's own ThreadSensitiveContext inside this one uses this executor.
            async with ThreadSensitiveContext(executor=executor):
                await super().__call__(scope, receive, send)
        finally:
            pool.give_back(executor)
