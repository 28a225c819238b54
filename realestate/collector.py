"""Python's garbage collector, tuned while bulk work runs (an MLS sync)."""

import gc
import threading
from contextlib import contextmanager

# Container objects allocated (less those freed) before a young collection: Python's 700 made
# a sync page of a thousand records (ten thousand-odd dicts and lists, alive until the page is
# applied) set off young collections by the hundred and a full one every few pages. That was a
# quarter of an unchanged re-sync's time; at this threshold a page sets off none.
BULK_THRESHOLD = 50_000

_lock = threading.Lock()
_holders = 0
_saved = None


@contextmanager
def bulk_collection():
    """Collect garbage less often while the block runs.

    Cyclic garbage is still collected, once that many objects have been allocated. Blocks
    may nest or run in several threads at once: the first one in raises the threshold, the
    last one out puts back what it was.
    """
    global _holders, _saved
    with _lock:
        if _holders == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(BULK_THRESHOLD, _saved[0]), *_saved[1:])
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                gc.set_threshold(*_saved)
