"""Drafts: a half-filled form survives a lock inside the encrypted vault (never in plaintext).

A draft belongs to one user and one form (with an optional record key, e.g. the request being
edited). Saving replaces the previous draft; a form that is saved or discarded deletes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.errors import InvalidInput, SpocError
from app.timeutil import utc_now_iso


@dataclass(frozen=True)
class Draft:
    form: str
    record_key: str
    payload: dict
    saved_at: str


def _user_id(vault) -> str:
    if vault.user is None:
        raise SpocError("Drafts belong to a signed-in user.")
    return vault.user.id


def save_draft(vault, form: str, payload: dict, record_key: str = "") -> None:
    if not form:
        raise InvalidInput("A draft needs the name of its form.")
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO drafts (user_id, form, record_key, payload, saved_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(user_id, form, record_key) DO UPDATE SET payload = excluded.payload,"
            " saved_at = excluded.saved_at",
            (_user_id(vault), form, record_key, text, utc_now_iso()),
        )
        vault.audit("draft.saved", record_type="draft", record_id=f"{form}:{record_key}")


def load_draft(vault, form: str, record_key: str = "") -> Draft | None:
    row = vault.db.one(
        "SELECT form, record_key, payload, saved_at FROM drafts WHERE user_id = ? AND form = ? AND record_key = ?",
        (_user_id(vault), form, record_key),
    )
    if row is None:
        return None
    return Draft(row["form"], row["record_key"], json.loads(row["payload"]), row["saved_at"])


def list_drafts(vault) -> list[Draft]:
    rows = vault.db.query(
        "SELECT form, record_key, payload, saved_at FROM drafts WHERE user_id = ? ORDER BY saved_at DESC",
        (_user_id(vault),),
    )
    return [Draft(r["form"], r["record_key"], json.loads(r["payload"]), r["saved_at"]) for r in rows]


def discard_draft(vault, form: str, record_key: str = "") -> None:
    with vault.db.transaction():
        vault.db.execute("DELETE FROM drafts WHERE user_id = ? AND form = ? AND record_key = ?",
                         (_user_id(vault), form, record_key))
