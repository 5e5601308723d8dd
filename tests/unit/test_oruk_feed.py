"""Reading ORUK files: a streamed JSON list, a page, one service, or NDJSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from signpost.oruk.feed import FeedError, FileSource, iter_json_array


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_streamed_list_matches_json_loads(chunk: int) -> None:
    data = [
        {"id": "a", "text": "brackets ] [ and , commas", "n": [1, 2, {"x": "}"}]},
        {"id": "b", "unicode": "£ é 🙂", "escaped": 'quote " and \\ backslash'},
        12345,
        "plain",
        None,
    ]
    text = " \n" + json.dumps(data, indent=1)
    values = [value for value, _ in iter_json_array(io.StringIO(text), chunk_size=chunk)]
    assert values == data


def test_positions_grow_to_the_end() -> None:
    text = json.dumps([{"a": i} for i in range(50)])
    positions = [pos for _, pos in iter_json_array(io.StringIO(text), chunk_size=16)]
    assert positions == sorted(positions)
    assert positions[-1] <= len(text)


@pytest.mark.parametrize(
    "text",
    ['{"a": 1}', '[{"a": 1} {"b": 2}]', '[{"a": 1},', '[{"a": tru}]', "[1, 2"],
)
def test_bad_lists_are_refused(text: str) -> None:
    with pytest.raises(FeedError):
        list(iter_json_array(io.StringIO(text), chunk_size=4))


def test_empty_list() -> None:
    assert list(iter_json_array(io.StringIO("[ ]"))) == []


def _write(tmp_path: Path, text: str) -> FileSource:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    return FileSource(path)


def test_file_forms(tmp_path: Path) -> None:
    one = {"id": "x", "name": "One"}
    two = {"id": "y", "name": "Two"}
    assert [r for _, r in _write(tmp_path, json.dumps([one, two]))] == [one, two]
    page = {"total_items": 2, "contents": [one, two]}
    assert [r for _, r in _write(tmp_path, json.dumps(page))] == [one, two]
    assert [r for _, r in _write(tmp_path, json.dumps(one))] == [one]
    ndjson = json.dumps(one) + "\n\n" + json.dumps(two) + "\n"
    assert [r for _, r in _write(tmp_path, ndjson)] == [one, two]
    # A byte-order mark (Excel, Windows tools) is not an error.
    assert [r for _, r in _write(tmp_path, "\ufeff" + json.dumps([one]))] == [one]


def test_labels_name_record_id_and_name(tmp_path: Path) -> None:
    labels = [label for label, _ in _write(tmp_path, json.dumps([{"id": "x", "name": "One"}, 7]))]
    assert labels == ['record 1 (id x, "One")', "record 2"]


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    source = _write(tmp_path, json.dumps([{"id": str(i)} for i in range(100)]))
    list(source)
    assert source.done == source.total


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such file"):
        FileSource(tmp_path / "nope.json")
    with pytest.raises(FeedError, match="bad JSON"):
        list(_write(tmp_path, "{not json"))
    with pytest.raises(FeedError):
        list(_write(tmp_path, "42"))
