"""The storage gateway shared by the GUI thread and workers: no cursor leaves its lock, so a
list loading in the background while the user saves cannot crash the process."""

from __future__ import annotations

import threading

from app.vault.connection import StatementResult


def test_statements_return_fully_read_results_not_live_cursors(new_vault):
    vault, _ = new_vault
    result = vault.db.execute("SELECT seq FROM audit_events ORDER BY seq")
    assert isinstance(result, StatementResult)
    assert [row["seq"] for row in result] == list(range(1, vault.chain_head().seq + 1))
    assert result.fetchone()["seq"] == 1
    insert = vault.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("probe", "1"))
    assert insert.rowcount == 1 and insert.fetchall() == []


def test_reads_in_a_worker_while_the_gui_thread_writes(new_vault):
    vault, _ = new_vault
    db = vault.db
    db.execute("CREATE TABLE scratch (n INTEGER)")
    failures: list[BaseException] = []
    done = threading.Event()

    def reader():
        try:
            while not done.is_set():
                db.query("SELECT count(*), max(n) FROM scratch")
                for row in db.execute("SELECT n FROM scratch ORDER BY n DESC LIMIT 20"):
                    assert row["n"] >= 0
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for n in range(1500):
            with db.transaction():
                db.execute("INSERT INTO scratch (n) VALUES (?)", (n,))
            db.execute("SELECT n FROM scratch WHERE n = ?", (n,))
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert db.scalar("SELECT count(*) FROM scratch") == 1500



def _in_thread(work):
    """Run `work` in another thread; re-raise what it raised."""
    box = {}

    def run():
        try:
            box["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["exc"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    if "exc" in box:
        raise box["exc"]
    return box.get("result")


def test_a_lock_stops_a_long_statement_in_another_thread_at_once(new_vault):
    """Vault.interrupt (a lock while work runs): the statement a worker is running stops at once,
    and the worker's later statements are refused; the locking thread is still served."""
    import time

    import pytest

    from app.errors import SpocError

    vault, _ = new_vault
    started, outcome = threading.Event(), {}

    def long_read():
        started.set()
        try:  # many seconds of work in one statement
            vault.db.scalar("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
                            "SELECT count(*) FROM c")
            outcome["read"] = "finished"
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            outcome["read"] = type(exc).__name__

    reader = threading.Thread(target=long_read)
    reader.start()
    started.wait(5)
    time.sleep(0.2)
    began = time.monotonic()
    vault.interrupt()
    reader.join(10)
    assert time.monotonic() - began < 2 and outcome["read"] != "finished"
    with pytest.raises(SpocError, match="The vault is locked"):
        _in_thread(lambda: vault.db.scalar("SELECT 1"))
    vault.audit("test.locking")  # the locking thread still writes (drafts, the logout event)
    assert vault.chain_head().seq > 1


def test_a_worker_transaction_under_way_at_a_lock_rolls_back_at_its_next_statement(new_vault):
    from app.errors import SpocError

    vault, _ = new_vault
    db = vault.db
    db.execute("CREATE TABLE scratch (n INTEGER)")
    first_done, go, outcome = threading.Event(), threading.Event(), {}

    def half_done_transaction():
        try:
            with db.transaction():
                db.execute("INSERT INTO scratch (n) VALUES (1)")
                first_done.set()
                go.wait(5)
                db.execute("INSERT INTO scratch (n) VALUES (2)")
            outcome["write"] = "committed"
        except SpocError as exc:
            outcome["write"] = str(exc)

    writer = threading.Thread(target=half_done_transaction)
    writer.start()
    first_done.wait(5)
    vault.interrupt()   # needs no lock the worker holds
    go.set()
    writer.join(10)
    assert outcome["write"] == "The vault is locked."
    assert db.scalar("SELECT count(*) FROM scratch") == 0  # rolled back: nothing half-saved
