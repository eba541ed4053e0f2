"""Names and file names as the screens show them: partners and channels from the agreement,
file names made from references only (never personal data), the user's documents folder."""

from __future__ import annotations

import re
from pathlib import Path

from app.agreement import load_agreement
from ui.qt import QtCore

EXCHANGE_FILTER = "SPOC Desk exchange files (*.json)"


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
