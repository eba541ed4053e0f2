"""Python's cyclic garbage collector runs on the GUI thread only once background work exists
(ui/worker.py): a collection inside a worker thread once destroyed a GUI-thread Qt object there
and crashed a print preview's report build."""

from __future__ import annotations

import gc
import threading
import weakref

from ui.worker import run_in_background


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the cyclic collector frees it


def test_cycles_are_collected_on_the_gui_thread_not_in_workers(qtbot):
    done = []
    run_in_background(lambda: threading.get_ident(), done.append, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert not gc.isenabled()  # no automatic collection in whichever thread allocates
    seen_threads = []
    gc.callbacks.append(lambda phase, info: seen_threads.append(threading.get_ident()))
    try:
        node = Node()
        gone = weakref.ref(node)
        del node
        kept = [[] for _ in range(gc.get_threshold()[0] + 50)]  # enough new containers to pass the threshold
        qtbot.waitUntil(lambda: gone() is None, timeout=5_000)  # the GUI thread's timer collected it
        del kept
    finally:
        gc.callbacks.pop()
    assert seen_threads and set(seen_threads) == {threading.get_ident()}
