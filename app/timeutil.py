"""Times are stored in UTC (ISO 8601) and shown in Europe/London time."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def utc_now_iso() -> str:
    return utc_now().isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return value.astimezone(timezone.utc)


def london_display(text_or_time: str | datetime) -> str:
    """`28/11/2026 14:05` in UK local time (GMT or BST as it was on that day)."""
    value = parse_utc(text_or_time) if isinstance(text_or_time, str) else text_or_time
    return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")
