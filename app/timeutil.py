"""Times are stored in UTC (ISO 8601) and shown in Europe/London time."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from functools import cache


@cache
def london_zone() -> tzinfo:
    """Europe/London, loaded on first use (the unlock screen shows no local times)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


def __getattr__(name: str):
    # `from app.timeutil import LONDON` still works: the zone loads on that first use
    if name == "LONDON":
        return london_zone()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    return value.astimezone(london_zone()).strftime("%d/%m/%Y %H:%M")


def parse_london(text: str) -> datetime:
    """`dd/mm/yyyy HH:MM` typed in UK local time -> an aware UTC datetime.

    A time that does not exist (the hour skipped when the clocks go forward) is refused; a time
    that happens twice (the hour repeated when they go back) is taken as the first (BST) unless
    the text ends with `GMT` or `BST`. Raises ValueError with a plain-English message.
    """
    raw = (text or "").strip()
    zone = None
    upper = raw.upper()
    for name in ("GMT", "BST"):
        if upper.endswith(name):
            zone, raw = name, raw[: -len(name)].strip()
    try:
        local = datetime.strptime(raw, "%d/%m/%Y %H:%M")
    except ValueError:
        raise ValueError("must be a real date and 24-hour time, like 29/03/2026 14:05") from None
    if local.year < 1900:
        raise ValueError("must be after 1900")
    first = local.replace(tzinfo=london_zone(), fold=0)
    second = local.replace(tzinfo=london_zone(), fold=1)
    for candidate in (first, second):
        back = candidate.astimezone(timezone.utc).astimezone(london_zone())
        if back.replace(tzinfo=None) == local:
            break
    else:
        raise ValueError(f"{local:%H:%M} on {local:%d/%m/%Y} does not exist in UK time: the clocks went "
                         "forward that night; enter the time shown on a clock after the change")
    if zone is not None:
        for candidate in (first, second):
            if candidate.tzname() == zone:
                return candidate.astimezone(timezone.utc)
        raise ValueError(f"{local:%d/%m/%Y %H:%M} was not {zone} in the UK")
    return first.astimezone(timezone.utc)
