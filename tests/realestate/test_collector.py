import gc
import threading
import weakref

from realestate.collector import BULK_THRESHOLD, bulk_collection


def test_bulk_collection_raises_the_young_threshold_and_puts_it_back():
    before = gc.get_threshold()
    with bulk_collection():
        assert gc.get_threshold() == (max(BULK_THRESHOLD, before[0]), *before[1:])
    assert gc.get_threshold() == before


def test_bulk_collection_puts_the_threshold_back_after_an_error():
    before = gc.get_threshold()
    try:
        with bulk_collection():
            raise ValueError("a page failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before


def test_the_last_of_overlapping_blocks_restores_the_threshold():
    before = gc.get_threshold()
    first_in, second_done, seen = threading.Event(), threading.Event(), []

    def other_thread():
        first_in.wait()
        with bulk_collection():
            pass
        seen.append(gc.get_threshold())  # the first block still runs
        second_done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with bulk_collection():
        first_in.set()
        second_done.wait()
        assert gc.get_threshold()[0] == max(BULK_THRESHOLD, before[0])
    thread.join()

    assert seen == [(max(BULK_THRESHOLD, before[0]), *before[1:])]
    assert gc.get_threshold() == before


def test_cyclic_garbage_is_still_collected_in_a_bulk_block():
    class Node:
        pass

    with bulk_collection():
        node = Node()
        node.self = node
        gone = weakref.ref(node)
        del node
        # Enough new containers, alive at once, to set off a young collection.
        keep = [[] for _ in range(BULK_THRESHOLD * 2)]
        assert gone() is None
    assert len(keep) == BULK_THRESHOLD * 2
