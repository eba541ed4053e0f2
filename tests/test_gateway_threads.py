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
