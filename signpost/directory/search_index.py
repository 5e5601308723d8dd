"""The per-worker search index, rebuilt when the directory version moves.

Each worker holds the public directory in memory (numpy arrays inside DirectoryIndex),
and checks one integer per search to see whether anything changed since it loaded.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app
from sqlalchemy.orm import Session

from signpost.directory import versioning
from signpost.directory.loading import load_records
from signpost.matcher.index import DirectoryIndex

_EXTENSION_KEY = "signpost.search_index"


class IndexCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._index: DirectoryIndex | None = None
        self.build_seconds: float | None = None

    def get(self, session: Session) -> DirectoryIndex:
        version = versioning.current(session)
        index = self._index
        if index is not None and version == self._version:
            return index
        with self._lock:  # one rebuild per worker, however many threads ask
            if self._index is None or version != self._version:
                started = time.perf_counter()
                self._index = DirectoryIndex(load_records(session))
                self._version = version
                self.build_seconds = time.perf_counter() - started
            return self._index


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION_KEY] = IndexCache()


def get_index(session: Session) -> DirectoryIndex:
    cache: IndexCache = current_app.extensions[_EXTENSION_KEY]
    return cache.get(session)
