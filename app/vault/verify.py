"""Integrity checks: SQLCipher's page HMACs, SQLite's structure, foreign keys, the audit chain."""

from __future__ import annotations

from dataclasses import dataclass, field

from app import audit
from app.errors import VaultDamaged
from app.vault.connection import Database


@dataclass
class VerifyReport:
    pages_ok: bool = True
    structure_ok: bool = True
    foreign_keys_ok: bool = True
    chain: audit.ChainReport = field(default_factory=audit.ChainReport)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "encryption_pages": "ok" if self.pages_ok else "damaged",
            "database_structure": "ok" if self.structure_ok else "damaged",
            "foreign_keys": "ok" if self.foreign_keys_ok else "broken",
            "audit_chain": "ok" if self.chain.ok else "broken",
            "audit_events": self.chain.events,
            "audit_head": self.chain.head.short(),
            "mismatched_head": self.chain.mismatched_head,
            "problems": list(self.problems),
        }


def verify_database(db: Database, audit_key: bytes, *, recorded_seq: int = 0,
                    expect: list[tuple[int, str]] | tuple = ()) -> VerifyReport:
    report = VerifyReport()
    try:
        page_errors = [str(r[0]) for r in db.query("PRAGMA cipher_integrity_check")]
    except VaultDamaged:
        page_errors = ["the encrypted pages could not be read"]
    if page_errors:
        report.pages_ok = False
        report.problems.append(f"{len(page_errors)} encrypted page(s) failed their HMAC check")
    try:
        rows = [str(r[0]) for r in db.query("PRAGMA integrity_check")]
    except VaultDamaged:
        rows = ["unreadable"]
    if rows != ["ok"]:
        report.structure_ok = False
        report.problems.append("the database structure is damaged")
    if report.pages_ok and report.structure_ok:
        if db.query("PRAGMA foreign_key_check"):
            report.foreign_keys_ok = False
            report.problems.append("some records point at records that do not exist")
        try:
            report.chain = audit.verify_chain(db, audit_key, recorded_seq=recorded_seq, expect=expect)
        except VaultDamaged:
            report.chain.problems.append("the audit trail could not be read")
        report.problems.extend(report.chain.problems)
    return report
