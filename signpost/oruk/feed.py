"""Where ORUK records come from: a JSON file (streamed), or a paged ORUK API over HTTP.

A file may hold a JSON list of services (read one record at a time, so 100,000 services
do not need gigabytes of memory), one ORUK page (``{"contents": [...]}``), one service, or
newline-delimited JSON. A URL may point at an API root (``…/api/v1``), its ``/services``
list (query filters are kept) or a JSON file. List items that are not fully nested are
fetched again from ``/services/{id}``.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from signpost.oruk.importer import record_label

MAX_RESPONSE_BYTES = 50 * 1024 * 1024
MAX_PAGES = 100_000
FULL_KEYS = ("service_at_locations", "attributes", "cost_options", "x_cost")
USER_AGENT = "Signpost-ORUK-importer/1.0"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class FeedError(Exception):
    """The source could not be read (bad JSON, HTTP error, not an ORUK feed)."""


def iter_json_array(fp: IO[str], chunk_size: int = 1 << 20) -> Iterator[tuple[Any, int]]:
    """Each element of a top-level JSON array, with the characters read so far."""
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    consumed = 0
    eof = False

    def fill() -> None:
        nonlocal buf, pos, consumed, eof
        chunk = fp.read(chunk_size)
        if not chunk:
            eof = True
        consumed += pos
        buf = buf[pos:] + chunk
        pos = 0

    def skip_space() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if eof:
                return ""
            fill()

    if skip_space() != "[":
        raise FeedError("expected a JSON list of services")
    pos += 1
    first = True
    while True:
        char = skip_space()
        if char == "]":
            return
        if not first:
            if char != ",":
                raise FeedError(f"bad JSON after record: expected ',' or ']' near {consumed + pos}")
            pos += 1
            skip_space()
        first = False
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as error:
                if eof:
                    raise FeedError(
                        f"bad JSON: {error.msg} at character {consumed + error.pos}"
                    ) from None
                fill()
                continue
            if end == len(buf) and not eof:  # a number or literal may go on
                fill()
                continue
            break
        pos = end
        yield value, consumed + pos


class FileSource:
    """Records from a file. ``total``/``done`` are in characters, for a progress bar."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FeedError(f"{self.path}: no such file")
        self.total: int = max(1, os.path.getsize(self.path))
        self.done = 0
        self.name = str(self.path)

    def __iter__(self) -> Iterator[tuple[str, object]]:
        try:
            yield from self._records()
        except UnicodeDecodeError:
            raise FeedError(f"{self.path.name}: not UTF-8 text") from None
        except RecursionError:
            raise FeedError(f"{self.path.name}: JSON nested too deeply") from None
        except MemoryError:
            raise FeedError(f"{self.path.name}: too large to read") from None

    def _records(self) -> Iterator[tuple[str, object]]:
        with self.path.open(encoding="utf-8-sig") as fp:
            start = fp.read(1)
            while start and start.isspace():
                start = fp.read(1)
            fp.seek(0)
            if start == "[":
                for index, (value, consumed) in enumerate(iter_json_array(fp), start=1):
                    self.done = min(consumed, self.total)
                    yield record_label(index, value), value
                self.done = self.total
                return
            text = fp.read()
        for index, value in enumerate(_records_from_text(text), start=1):
            yield record_label(index, value), value
        self.done = self.total


def _records_from_text(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            raise FeedError(f"bad JSON: {error.msg} at line {error.lineno}") from None
        # Newline-delimited JSON: one service per line.
        data = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    data.append(json.loads(line))
                except json.JSONDecodeError as bad:
                    raise FeedError(f"bad JSON on line {number}: {bad.msg}") from None
        return data
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return list(data["contents"])
    if isinstance(data, dict) and isinstance(data.get("content"), list):  # an ORUK 1.0 page
        return list(data["content"])
    if isinstance(data, dict):
        return [data]
    raise FeedError("expected a list of services, an ORUK page or one service")


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a server asked us to wait: ``Retry-After`` as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    """Retry on 429 and 5xx (and dropped connections) with exponential backoff, honouring
    ``Retry-After`` up to ``max_wait`` seconds."""

    attempts: int = 6
    base: float = 1.0
    max_wait: float = 120.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: str | None) -> float:
        asked = retry_after_seconds(retry_after)
        wait = asked if asked is not None else self.base * (2**attempt)
        return min(wait, self.max_wait)


def fetch_json(url: str, timeout: float = 30.0, retry: RetryPolicy | None = None) -> Any:
    """GET a URL and parse JSON (http and https only), retrying as ``retry`` says."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FeedError(f"{url}: only http and https URLs can be imported")
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
    )
    retry = retry or RetryPolicy(attempts=1)
    for attempt in range(retry.attempts):
        last = attempt == retry.attempts - 1
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
            break
        except urllib.error.HTTPError as error:
            if error.code in RETRY_STATUSES and not last:
                retry.sleep(retry.delay(attempt, error.headers.get("Retry-After")))
                continue
            raise FeedError(f"{url}: HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            if not last:
                retry.sleep(retry.delay(attempt, None))
                continue
            reason = getattr(error, "reason", error)
            raise FeedError(f"{url}: {reason}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise FeedError(f"{url}: response larger than {MAX_RESPONSE_BYTES // 2**20} MB")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise FeedError(f"{url}: not JSON") from None


def _with_query(url: str, **values: object) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in values]
    query += [(k, str(v)) for k, v in values.items()]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


class FeedSource:
    """Records from an ORUK API, page by page. ``total``/``done`` count services."""

    def __init__(
        self,
        url: str,
        *,
        per_page: int = 100,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        start_page: int = 1,
        page_limit: int | None = None,
    ) -> None:
        self.url = url
        self.per_page = per_page
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.total: int | None = None
        self.done = 0
        self.name = url
        self.start_page = start_page
        self.page = start_page - 1  # the last page read in full (a harvest resumes after it)
        self.version = "3.0"
        self.page_limit = page_limit  # stop after this many pages (a harvest's batch)
        self.finished = False  # the last page of the feed was read

    def _get(self, url: str) -> Any:
        return fetch_json(url, self.timeout, self.retry)

    def __iter__(self) -> Iterator[tuple[str, object]]:
        data = self._get(self.url)
        services_url = self.url
        if isinstance(data, list):  # a JSON file served over HTTP
            self.finished = True
            self.total = len(data)
            for index, value in enumerate(data, start=1):
                self.done = index
                yield record_label(index, value), value
            return
        if not isinstance(data, dict):
            raise FeedError(f"{self.url}: not an ORUK feed")
        if "contents" not in data and "content" not in data:
            if "openapi_url" in data or "version" in data:  # the API root
                parts = urllib.parse.urlsplit(self.url)
                services_url = urllib.parse.urlunsplit(
                    parts._replace(path=parts.path.rstrip("/") + "/services", query="")
                )
                data = None
            else:  # one service
                self.finished = True
                self.total = self.done = 1
                yield record_label(1, data), data
                return
        detail_base = urllib.parse.urlunsplit(
            urllib.parse.urlsplit(services_url)._replace(query="", fragment="")
        ).rstrip("/")
        index = (self.start_page - 1) * self.per_page
        for page in range(self.start_page, MAX_PAGES + 1):
            data = self._get(_with_query(services_url, page=page, per_page=self.per_page))
            # ORUK 3.0 pages hold "contents"; ORUK 1.0 pages (Spring style) hold "content".
            if isinstance(data, dict) and isinstance(data.get("content"), list):
                self.version = "1.0"
                data = {
                    "contents": data["content"],
                    "total_items": data.get("totalElements"),
                    "total_pages": data.get("totalPages"),
                    "last_page": data.get("last"),
                }
            if not isinstance(data, dict) or not isinstance(data.get("contents"), list):
                raise FeedError(f"{services_url}: page {page} is not an ORUK page")
            if isinstance(data.get("total_items"), int):
                self.total = data["total_items"]
            for item in data["contents"]:
                index += 1
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("id"), str)
                    and not any(key in item for key in FULL_KEYS)
                ):
                    item = self._get(f"{detail_base}/{urllib.parse.quote(item['id'], safe='')}")
                self.done = index
                yield record_label(index, item), item
            self.page = page
            total_pages = data.get("total_pages")
            if (
                not data["contents"]
                or data.get("last_page") is True
                or (isinstance(total_pages, int) and page >= total_pages)
            ):
                self.finished = True
                return
            if self.page_limit is not None and page - self.start_page + 1 >= self.page_limit:
                return
        raise FeedError(f"{services_url}: more than {MAX_PAGES} pages")


def open_source(
    source: str, *, timeout: float = 30.0, retry: RetryPolicy | None = None, start_page: int = 1
) -> FileSource | FeedSource:
    if source.lower().startswith(("http://", "https://")):
        return FeedSource(source, timeout=timeout, retry=retry, start_page=start_page)
    return FileSource(source)
