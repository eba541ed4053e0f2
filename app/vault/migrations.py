"""Numbered schema migrations on `PRAGMA user_version` (Vorta's habit).

Each step runs in one transaction together with its `user_version` bump, so a crash leaves the
vault at the step before or the step after. Append new steps; never edit a released one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from app.errors import InvalidInput
from app.vault.connection import Database


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[Database], None]


def _v1_core(db: Database) -> None:
    for statement in (
        """CREATE TABLE meta (
               key   TEXT PRIMARY KEY,
               value TEXT NOT NULL
           )""",
        """CREATE TABLE users (
               id          TEXT PRIMARY KEY,
               name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
               role        TEXT NOT NULL CHECK (role IN ('admin','spoc','dpm','chair','auditor')),
               agency      TEXT NOT NULL,
               active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
               created_at  TEXT NOT NULL,
               created_by  TEXT,
               disabled_at TEXT,
               disabled_by TEXT,
               passphrase_changed_at TEXT
           )""",
        # Append-only: the triggers refuse UPDATE and DELETE; the HMAC chain detects anyone who
        # drops the triggers and rewrites history anyway.
        """CREATE TABLE audit_events (
               seq         INTEGER PRIMARY KEY,
               at          TEXT NOT NULL,
               actor       TEXT NOT NULL,
               action      TEXT NOT NULL,
               record_type TEXT,
               record_id   TEXT,
               reason      TEXT,
               mac         TEXT NOT NULL
           )""",
        """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER audit_events_in_order BEFORE INSERT ON audit_events
           WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_events)
           BEGIN SELECT RAISE(ABORT, 'audit events are appended in order'); END""",
        "CREATE INDEX audit_events_record ON audit_events(record_type, record_id)",
    ):
        db.execute(statement)


def _v2_policy(db: Database) -> None:
    # Vault-wide policy set by the admin; values are JSON text.
    db.execute(
        """CREATE TABLE policy (
               key        TEXT PRIMARY KEY,
               value      TEXT NOT NULL,
               changed_at TEXT NOT NULL,
               changed_by TEXT NOT NULL
           )"""
    )


def _v3_drafts(db: Database) -> None:
    # Unsaved form input kept across a lock: inside the encrypted vault, never on disk in clear.
    db.execute(
        """CREATE TABLE drafts (
               user_id    TEXT NOT NULL REFERENCES users(id),
               form       TEXT NOT NULL,
               record_key TEXT NOT NULL DEFAULT '',
               payload    TEXT NOT NULL,
               saved_at   TEXT NOT NULL,
               PRIMARY KEY (user_id, form, record_key)
           )"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "vault metadata, users and the audit trail", _v1_core),
    Migration(2, "vault policy settings", _v2_policy),
    Migration(3, "encrypted drafts of unsaved forms", _v3_drafts),
)
LATEST = MIGRATIONS[-1].version


def schema_version(db: Database) -> int:
    return int(db.scalar("PRAGMA user_version"))


def check_supported(version: int, vault_name: str) -> None:
    if version > LATEST:
        raise InvalidInput(
            f"{vault_name} was written by a newer SPOC Desk (schema {version}; this version knows up to "
            f"{LATEST}). Install the newer version to open it; nothing was changed."
        )


def pending(version: int, target: int = LATEST) -> list[Migration]:
    return [m for m in MIGRATIONS if version < m.version <= target]


def migrate(db: Database, target: int = LATEST, on_step: Callable[[Migration], None] | None = None) -> int:
    """Bring the schema up to `target`, one transaction per step; returns the new version."""
    version = schema_version(db)
    check_supported(version, db.path.name)
    for step in pending(version, target):
        with db.transaction():
            step.apply(db)
            # user_version takes no parameters; the value is our own integer, not user input.
            db.execute(f"PRAGMA user_version = {int(step.version)}")
        if on_step:
            on_step(step)
        version = step.version
    return version
