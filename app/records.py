"""Shared helpers for the request-area records: ids, dates, code lists and problem lists.

Validation in the service modules collects `Problem(field, message)` pairs so a form can show an
error summary; the save functions raise `InvalidInput` carrying the same list (`.problems`).
Messages follow the GOV.UK habit: say what to do ("Enter the date the information was received").
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from app.errors import InvalidInput
from app.timeutil import LONDON, utc_now

MAX_TEXT = 100_000  # generous: long intelligence text must round-trip; refuse absurd sizes


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __iter__(self):  # unpack as (field, message)
        yield self.field
        yield self.message


class Invalid(InvalidInput):
    """InvalidInput with the whole list of problems for an error summary."""

    def __init__(self, problems: list[Problem], what: str = ""):
        self.problems = list(problems)
        first = "; ".join(f"{p.field}: {p.message}" for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{what}{': ' if what else ''}{first}{more}")


_NUMBERED = {"breaches", "cases", "meetings", "complaints", "disputes"}  # tables with PREFIX-YYYY-NNNN references per desk


def next_yearly_reference(vault, table: str, prefix: str, year: int) -> str:
    """The next PREFIX-YYYY-NNNN of this desk in `table` (one of this module's known tables,
    never input; such records are never renumbered, so max + 1 is safe)."""
    if table not in _NUMBERED:
        raise ValueError(table)
    start = len(prefix) + 7  # after "PREFIX-YYYY-", counting from 1 as SQLite's substr does
    last = vault.db.scalar(f"SELECT max(CAST(substr(reference, ?) AS INTEGER)) FROM {table}"
                           " WHERE origin_agency = ? AND reference LIKE ?",
                           (start, vault.agency, f"{prefix}-{year}-%")) or 0
    return f"{prefix}-{year}-{last + 1:04d}"


def raise_if(problems: list[Problem], what: str = "") -> None:
    if problems:
        raise Invalid(problems, what)


def new_id() -> str:
    return str(uuid.uuid4())


def today_london() -> _dt.date:
    return utc_now().astimezone(LONDON).date()


def parse_date(value: Any) -> _dt.date | None:
    """A plain date from 'YYYY-MM-DD', 'DD/MM/YYYY' or a date; None when blank; ValueError if bad."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    if "/" in text:
        day, month, year = text.split("/")
        return _dt.date(int(year), int(month), int(day))
    return _dt.date.fromisoformat(text)


def check_date(problems: list[Problem], field: str, value: Any, *, required: bool, missing: str,
               what: str, not_future: bool = True) -> str | None:
    """Append a problem for a missing, malformed or future date; return the ISO text."""
    try:
        parsed = parse_date(value)
    except (ValueError, TypeError):
        problems.append(Problem(field, f"{what} must be a real date, like 27/3/2026"))
        return None
    if parsed is None:
        if required:
            problems.append(Problem(field, missing))
        return None
    if not_future and parsed > today_london() + _dt.timedelta(days=1):
        problems.append(Problem(field, f"{what} must be today or in the past"))
    if parsed.year < 1900:
        problems.append(Problem(field, f"{what} must be after 1900"))
    return parsed.isoformat()


TIME_FUTURE_LEEWAY = _dt.timedelta(minutes=5)  # clocks on two workstations differ a little


def check_time(problems: list[Problem], key: str, value: Any, *, required: bool, missing: str, what: str,
               now: _dt.datetime, future_ok: bool = False) -> str | None:
    """A time typed as dd/mm/yyyy HH:MM (UK local) or given as UTC ISO text -> UTC ISO text.
    Unless `future_ok`, a time more than a few minutes ahead of `now` is refused."""
    from app.timeutil import parse_london, parse_utc

    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(key, missing))
        return None
    generic = "must be a real date and 24-hour time, like 29/03/2026 14:05"
    try:
        if isinstance(value, _dt.datetime):
            if value.tzinfo is None:
                raise ValueError(generic)
            moment = value.astimezone(_dt.timezone.utc)
        elif isinstance(value, str) and "/" in value:
            moment = parse_london(value)  # its messages are written for the user
        elif isinstance(value, str):
            try:
                moment = parse_utc(value)
            except ValueError:
                raise ValueError(generic) from None
        else:
            raise ValueError(generic)
    except ValueError as exc:
        problems.append(Problem(key, f"{what} {exc}"))
        return None
    if not future_ok and moment > now + TIME_FUTURE_LEEWAY:
        problems.append(Problem(key, f"{what} must be now or in the past"))
        return None
    if moment.year < 1900:
        problems.append(Problem(key, f"{what} must be after 1900"))
        return None
    return moment.isoformat(timespec="microseconds")


def text(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    return value if isinstance(value, str) else str(value)


def check_text(problems: list[Problem], field: str, value: Any, *, required: bool = False,
               missing: str = "", limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(Problem(field, "must be text"))
        return ""
    if required and not value.strip():
        problems.append(Problem(field, missing))
    if len(value) > limit:
        problems.append(Problem(field, f"is too long ({len(value)} characters; the limit is {limit})"))
    return value


def check_codes(problems: list[Problem], field: str, value: Any, allowed: Iterable[str], *,
                required: bool = False, missing: str = "") -> list[str]:
    """A list of codes, each from `allowed`, without duplicates, order kept."""
    allowed = list(allowed)
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        problems.append(Problem(field, "must be a list of codes"))
        return []
    out: list[str] = []
    for item in value:
        if item not in allowed:
            problems.append(Problem(field, f"{item!r} is not one of: {', '.join(allowed)}"))
        elif item not in out:
            out.append(item)
    if required and not out:
        problems.append(Problem(field, missing))
    return out


def check_texts(problems: list[Problem], field: str, value: Any) -> list[str]:
    """A list of strings (aliases, addresses); blank entries dropped, text kept exactly."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(field, "must be a list of text"))
        return []
    return [v for v in value if v.strip()]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one encoder, not one per call


def dumps(value: Any) -> str:
    if not value and isinstance(value, (list, dict)):  # most list fields are empty: skip the encoder
        return "[]" if isinstance(value, list) else "{}"
    return _ENCODER.encode(value)


def loads(text_value: str | None) -> Any:
    return json.loads(text_value) if text_value else []


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paged list: pass `next_after` as `after=` for the next page."""

    items: list
    next_after: int | None
