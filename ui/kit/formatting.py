"""Words as the screens show them: UK dates and times, counts in words, partners and channels
from the agreement, file names made from references only (never personal data), the user's
documents folder. The one place a screen turns a stored value into display text."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from app.agreement import load_agreement
from app.records import parse_date
from app.timeutil import london_display
from ui.qt import QtCore

EXCHANGE_FILTER = "SPOC Desk exchange files (*.json)"


def uk_date(value: _dt.date | str | None, empty: str = "") -> str:
    """A date as dd/mm/yyyy ('2026-03-02' -> '02/03/2026'); `empty` when blank; anything
    unparseable as it was (a stored value is never hidden)."""
    try:
        parsed = parse_date(value)
    except (ValueError, TypeError):
        return str(value)
    return parsed.strftime("%d/%m/%Y") if parsed else empty


def uk_time(value: _dt.datetime | str | None, empty: str = "—") -> str:
    """A stored UTC time as dd/mm/yyyy HH:MM in UK local time (GMT or BST as it was on that day);
    `empty` when blank; anything unparseable as it was."""
    if not value:
        return empty
    try:
        return london_display(value)
    except ValueError:
        return str(value)


def plural(count: float, word: str, many: str | None = None) -> str:
    """A count in words: "1 subject", "2 subjects" (`many` for an irregular plural: "agencies");
    a fractional count as short as it goes ("0.5 minutes")."""
    number = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{number} {word if count == 1 else (many or word + 's')}"


def one_line(text: str | None, limit: int = 80) -> str:
    """Text on one line (runs of white space as one space), cut at `limit` characters with "…"."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def agency_name(code: str) -> str:
    return load_agreement().partner_name(code)


def channel_name(channel_id: str) -> str:
    return load_agreement().channel_name(channel_id)


def safe_file_stem(text: str) -> str:
    """A file name part made only of letters, digits and hyphens (never personal data)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "export"


def documents_folder() -> Path:
    found = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()
