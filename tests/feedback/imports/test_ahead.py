"""Drawing records one chunk ahead in a thread: order, errors, early exits, language."""

from __future__ import annotations

import threading

import pytest
from django.utils import translation

from feedback.imports.ahead import chunks_drawn_ahead


def drawing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mot-import-draw"]


def test_the_items_come_in_order_in_chunks_of_the_size_asked():
    with chunks_drawn_ahead(range(10), 4) as chunks:
        assert list(chunks) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert drawing_threads() == []


def test_nothing_to_draw_gives_no_chunk():
    with chunks_drawn_ahead([], 4) as chunks:
        assert list(chunks) == []


def test_an_error_while_drawing_is_raised_in_the_callers_thread_after_the_chunks_before_it():
    def items():
        yield from range(5)
        raise ValueError("line 6 is unreadable")

    seen = []
    with pytest.raises(ValueError, match="line 6"), chunks_drawn_ahead(items(), 2) as chunks:
        seen.extend(chunks)

    assert seen == [[0, 1], [2, 3]]
    assert drawing_threads() == []


def test_leaving_early_stops_the_thread_without_drawing_everything():
    drawn = []

    def items():
        for i in range(1_000_000):
            drawn.append(i)
            yield i

    def store_one_chunk_then_fail():
        with chunks_drawn_ahead(items(), 10) as chunks:
            next(chunks)
            raise RuntimeError("the store failed")

    with pytest.raises(RuntimeError):
        store_one_chunk_then_fail()

    assert drawing_threads() == []
    assert len(drawn) <= 40  # the chunk taken, one waiting, one being drawn when told to stop


def test_the_thread_draws_in_the_callers_language():
    languages = []

    def items():
        languages.append(translation.get_language())
        yield 1

    with translation.override("pt"), chunks_drawn_ahead(items(), 10) as chunks:
        list(chunks)

    assert languages == ["pt"]
