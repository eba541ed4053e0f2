"""The desk's log file rolls over by size and keeps three old files, like RotatingFileHandler."""

from __future__ import annotations

import logging

from app.logsetup import RollingLog


def test_the_log_rolls_to_three_old_files_and_keeps_the_newest_lines(tmp_path):
    path = tmp_path / "spocdesk.log"
    handler = RollingLog(path, max_bytes=200, backups=3)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("spocdesk.test.rolling")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for number in range(60):
            logger.info("vault.event %03d %s", number, "x" * 30)
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["spocdesk.log", "spocdesk.log.1", "spocdesk.log.2", "spocdesk.log.3"]
    for name in names:
        assert (tmp_path / name).stat().st_size <= 200
    newest = path.read_text(encoding="utf-8").splitlines()
    assert newest[-1].startswith("vault.event 059")
    older = (tmp_path / "spocdesk.log.1").read_text(encoding="utf-8").splitlines()
    assert int(older[-1].split()[1]) + 1 == int(newest[0].split()[1])  # nothing lost between files


def test_a_small_log_is_not_rolled(tmp_path):
    path = tmp_path / "spocdesk.log"
    handler = RollingLog(path, max_bytes=10_000, backups=3)
    record = logging.LogRecord("spocdesk", logging.INFO, __file__, 1, "vault.opened", None, None)
    handler.emit(record)
    handler.close()
    assert [p.name for p in tmp_path.iterdir()] == ["spocdesk.log"]
    assert "vault.opened" in path.read_text(encoding="utf-8")
