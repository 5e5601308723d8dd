"""The per-worker search index, rebuilt when the directory version moves.

Each worker holds the public directory in memory (numpy arrays inside DirectoryIndex),
and checks one integer per search to see whether anything changed since it loaded.

A small directory is rebuilt before the search that noticed the change, so the change
shows at once. A large one (a build slower than ``SYNC_REBUILD_SECONDS``; ~14 s at 100,000
services) is rebuilt in a background thread while searches keep using the previous index,
so an edit never stalls every worker's next search.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app
from sqlalchemy.orm import Session

from signpost.directory import versioning
from signpost.directory.loading import load_records
from signpost.extensions import db
from signpost.matcher.index import DirectoryIndex

_EXTENSION_KEY = "signpost.search_index"
SYNC_REBUILD_SECONDS = 1.0


class IndexCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (version, index) swapped as one reference, so readers never see a mismatched pair.
        self._current: tuple[int, DirectoryIndex] | None = None
        self._rebuilding = False
        self.build_seconds: float | None = None

    def _build(self, session: Session, version: int, *, background: bool = False) -> None:
        started = time.perf_counter()
        index = DirectoryIndex(load_records(session))
        current = self._current
        # A background build that finishes after a newer one must not win.
        if not background or current is None or version >= current[0]:
            self._current = (version, index)
        self.build_seconds = time.perf_counter() - started

    def _rebuild_in_background(self, app: Flask, version: int) -> None:
        def run() -> None:
            try:
                with app.test_request_context():  # url_for needs a request context
                    self._build(db.session, version, background=True)
                    db.session.remove()
            except Exception:
                app.logger.exception("search index rebuild failed; keeping the previous one")
            finally:
                self._rebuilding = False

        self._rebuilding = True
        threading.Thread(target=run, name="search-index-rebuild", daemon=True).start()

    def get(self, session: Session) -> DirectoryIndex:
        version = versioning.current(session)
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        slow = self.build_seconds is not None and self.build_seconds > SYNC_REBUILD_SECONDS
        with self._lock:
            current = self._current
            if current is not None and slow:
                if not self._rebuilding:
                    app = current_app._get_current_object()  # type: ignore[attr-defined]
                    self._rebuild_in_background(app, version)
                return current[1]
            if current is None or current[0] != version:  # first build, or a quick one
                self._build(session, version)
            assert self._current is not None
            return self._current[1]

    def wait_for_rebuild(self, timeout: float = 60.0) -> None:
        """For tests and benchmarks: block until a background rebuild has finished."""
        deadline = time.monotonic() + timeout
        while self._rebuilding and time.monotonic() < deadline:
            time.sleep(0.01)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION_KEY] = IndexCache()


def cache_for(app: Flask) -> IndexCache:
    return app.extensions[_EXTENSION_KEY]


def get_index(session: Session) -> DirectoryIndex:
    return cache_for(current_app).get(session)
