"""Drawing an import's records one chunk ahead, in a thread of their own.

Drawing a record is the import's Python work (reading the file, validating the row); storing a
chunk is the database server's (indexes, foreign keys). Done one after the other they add up;
with the next chunk drawn while the server stores this one, they overlap: the storing thread
waits on the server with the GIL released, and the drawing thread has the interpreter to itself.

At most two chunks exist at a time besides the one being stored (one waiting, one being drawn),
so memory stays bounded by the chunk size, not the file's.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar

from django.db import connections
from django.utils import translation

T = TypeVar("T")

_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


@contextmanager
def chunks_drawn_ahead(items: Iterable[T], size: int) -> Iterator[Iterator[list[T]]]:
    """``items`` in lists of ``size``, the next list drawn by a thread while the caller works::

        with chunks_drawn_ahead(records, 50_000) as chunks:
            for chunk in chunks:
                ...

    An exception raised while drawing is raised in the caller's thread, where the list it
    interrupted would have come. Leaving the block, by an exception too, stops the thread
    after the list it is drawing.

    The thread draws in the caller's active language (validation messages are translated).
    It must not use the database: Django would give it a connection of its own, outside the
    caller's transaction (closed when the thread ends).
    """
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def draw() -> None:
        try:
            with translation.override(language):
                iterator = iter(items)
                while not stop.is_set() and (chunk := list(islice(iterator, size))):
                    put(chunk)
            put(_END)
        except BaseException as error:
            put(_Failed(error))
        finally:
            connections.close_all()  # this thread's own, if drawing opened any

    def received() -> Iterator[list[T]]:
        while (item := ready.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            # Handed over without a reference kept here, so the consumer can free a chunk
            # while this generator waits for the next one.
            box = [item]
            del item
            yield box.pop()

    thread = threading.Thread(target=draw, name="mot-import-draw", daemon=True)
    thread.start()
    try:
        yield received()
    finally:
        stop.set()
        thread.join()
