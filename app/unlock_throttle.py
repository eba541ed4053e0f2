"""A growing wait after repeated failed unlocks, per user, counted from the failures kept in the
keyslot file, so restarting the app does not reset it. Five failures are free; then 5 s, doubling
to 5 min. The wait is enforced in the core (`Vault.open` raises `Throttled`), so the desktop and
the command line wait alike.

The keyslot file is not authenticated until a vault is open, so its failure entries are checked
before they are believed: the count is capped, times must be sane (not before the vault was
created, not in the future), and the user must be one the file knows. At the next successful
unlock each user's burst becomes one audit event ("N failed attempts reported by the keyslot
file"); entries that fail the checks become one event saying how many were not believed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.errors import AuthError

FREE_ATTEMPTS = 5
FIRST_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 300
MAX_ENTRIES = 1000
UNKNOWN_USER = "(unknown user)"
_CLOCK_SLACK = timedelta(minutes=5)


class Throttled(AuthError):
    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"Too many wrong attempts for this user: wait {seconds} s before trying again.")


def delay_for(failures: int) -> int:
    """Seconds to wait before the next attempt after `failures` failures in a row."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** min(failures - FREE_ATTEMPTS, 16), MAX_DELAY_SECONDS)


def _time(entry) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except (TypeError, ValueError, AttributeError):
        return None
    return at if at.tzinfo is not None else None


def _of(entries: list[dict], user: str) -> list[dict]:
    wanted = user.casefold()
    return [e for e in entries[-MAX_ENTRIES:] if isinstance(e, dict) and str(e.get("user", "")).casefold() == wanted]


def seconds_left_for(failed_unlocks: list[dict], user: str, now: datetime) -> int:
    """How long `user` must still wait, from that user's recorded failures. Entries without a
    sane time (none, or in the future: planted, or a clock put back) are not counted, so they
    cannot hold anyone up; the wait is never longer than the longest wait."""
    times = [t for t in (_time(e) for e in _of(failed_unlocks, user)) if t is not None and t <= now + _CLOCK_SLACK]
    wait = delay_for(len(times))
    if not wait:
        return 0
    last = min(max(times), now)
    elapsed = (now - last).total_seconds()
    return max(0, min(MAX_DELAY_SECONDS, int(wait - elapsed + 0.999)))


def seconds_left(failed_unlocks: list[dict], now: datetime, user: str | None = None) -> int:
    """The unlock screen's wait: for `user`, or the longest of any user's when none is chosen."""
    if user is not None:
        return seconds_left_for(failed_unlocks, user, now)
    users = {str(e.get("user", "")) for e in failed_unlocks[-MAX_ENTRIES:] if isinstance(e, dict)}
    return max((seconds_left_for(failed_unlocks, u, now) for u in users), default=0)


@dataclass(frozen=True)
class FailureReport:
    action: str
    actor: str
    at: str | None
    reason: str


def checked_failures(entries: list[dict], *, known: set[str], created_at: str | None,
                     now: datetime) -> list[FailureReport]:
    """The audit events for the failures not yet recorded: one per user, one for the rest."""
    start = None
    if created_at:
        try:
            start = datetime.fromisoformat(created_at) - _CLOCK_SLACK
        except ValueError:
            start = None
    known_folded = {k.casefold(): k for k in known}
    believed: dict[str, list[datetime]] = {}
    refused = max(0, len(entries) - MAX_ENTRIES)
    for entry in entries[-MAX_ENTRIES:]:
        if not isinstance(entry, dict) or entry.get("audited"):
            continue
        at = _time(entry)
        user = known_folded.get(str(entry.get("user", "")).casefold())
        if user is None or at is None or at > now + _CLOCK_SLACK or (start is not None and at < start):
            refused += 1
            continue
        believed.setdefault(user, []).append(at)
    reports = []
    for user, times in believed.items():
        times.sort()
        reason = ("1 failed attempt reported by the keyslot file" if len(times) == 1
                  else f"{len(times)} failed attempts reported by the keyslot file")
        reports.append(FailureReport("login.failed", user[:64], times[-1].astimezone(timezone.utc).isoformat(), reason))
    reports.sort(key=lambda r: r.at or "")
    if refused:
        reports.append(FailureReport("login.failed_unverified", "system", None,
                                     f"{refused} keyslot file entries not believed (unknown user, bad time or too many)"))
    return reports


def after_success(entries: list[dict], user: str) -> list[dict] | None:
    """The entries to keep after `user` unlocked: theirs go (their back-off ends), every other
    user's stay, marked as recorded, so another user's unlock does not end someone's back-off.
    None when nothing changes."""
    if not entries:
        return None
    wanted = user.casefold()
    from app.timeutil import utc_now

    latest = utc_now() + _CLOCK_SLACK
    kept = [dict(e, audited=True) for e in entries[-MAX_ENTRIES:]
            if isinstance(e, dict) and str(e.get("user", "")).casefold() != wanted
            and _time(e) is not None and _time(e) <= latest]
    return kept if kept != entries else None
