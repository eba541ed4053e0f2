"""Logging to the per-user log folder: event names and ids only, never personal data."""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

from app.paths import log_dir

_configured = False
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


class RollingLog(logging.FileHandler):
    """spocdesk.log rolled to spocdesk.log.1 … .3 when it would pass `max_bytes`.

    What logging.handlers.RotatingFileHandler does, without that module's imports (socket,
    pickle, queue): the log is set up before the unlock screen shows."""

    def __init__(self, path: Path, max_bytes: int = MAX_LOG_BYTES, backups: int = LOG_BACKUPS):
        super().__init__(path, encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            if self.stream is None:
                self.stream = self._open()
            written = self.stream.tell()
            if written and written + len(line) > self.max_bytes:
                self._roll()
            self.stream.write(line)
            self.flush()
        except Exception:  # noqa: BLE001 - logging must never stop the desk
            self.handleError(record)

    def _roll(self) -> None:
        self.stream.close()
        self.stream = None
        base = self.baseFilename
        for number in range(self.backups - 1, 0, -1):
            older = f"{base}.{number}"
            if os.path.exists(older):
                os.replace(older, f"{base}.{number + 1}")
        os.replace(base, f"{base}.1")
        self.stream = self._open()


def setup_logging() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    try:
        handler = RollingLog(log_dir() / "spocdesk.log")
    except OSError:
        return  # an unwritable log folder must not stop the desk
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def crash_frames(exc: BaseException) -> list[str]:
    """Where a failure happened, frame by frame: file, line and function only. No message, no
    source text and no local values, any of which may quote personal data or a passphrase."""
    return [f"  {Path(f.filename).name}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]


def log_crash(exc: BaseException, *, where: str = "") -> None:
    """Log an unexpected error by its class and frames (see crash_frames), never its message."""
    frames = "\n".join(crash_frames(exc))
    logging.getLogger("spocdesk.crash").error("internal error %s%s\n%s", type(exc).__name__,
                                              f" ({where})" if where else "", frames)
