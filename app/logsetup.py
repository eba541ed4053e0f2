"""Logging to the per-user log folder: event names and ids only, never personal data."""

from __future__ import annotations

import logging
import logging.handlers
import traceback

from app.paths import log_dir

_configured = False


def setup_logging() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    try:
        handler = logging.handlers.RotatingFileHandler(
            log_dir() / "spocdesk.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return  # an unwritable log folder must not stop the desk
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def log_crash(exc: BaseException) -> None:
    """Where the failure happened, without the exception's message (it may quote data)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logging.getLogger("spocdesk.crash").error("internal error %s\n%s", type(exc).__name__, frames)
