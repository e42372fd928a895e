"""The one place where worker threads hand results to the Kivy main thread.

Blocking work (network, disk) runs on a small thread pool; its result or error comes back
through `@mainthread`, so widgets are only ever touched on the Kivy thread. Once the kiosk
stops (`shutdown`), what still comes back is dropped: a content refresh that arrived in the
last frame ran after Kivy had let the app go (`App.get_running_app()` None: a traceback in
every stop that raced a sync).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from kivy.clock import mainthread

log = logging.getLogger(__name__)


class Bridge:
    def __init__(self, workers: int = 2):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-worker")
        self.closed = False

    def submit(
        self,
        fn: Callable[[], object],
        on_done: Callable[[object], None],
        on_error: Callable[[BaseException], None],
    ) -> Future:
        future = self._pool.submit(fn)
        future.add_done_callback(lambda f: self._deliver(f, on_done, on_error))
        return future

    @mainthread
    def _deliver(self, future: Future, on_done, on_error) -> None:
        if self.closed:
            return
        exc = future.exception()
        if exc is not None:
            log.warning("background task failed: %s", exc)
            on_error(exc)
        else:
            on_done(future.result())

    def to_main(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Wrap a callback that a worker thread calls, so it runs on the Kivy thread (unless
        the kiosk stopped meanwhile)."""

        def on_main(*args, **kwargs) -> None:
            if not self.closed:
                fn(*args, **kwargs)

        return mainthread(on_main)

    def shutdown(self) -> None:
        self.closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
