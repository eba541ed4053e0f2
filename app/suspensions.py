"""Partner suspensions (clause 13.2): a partner may suspend the arrangements while a serious
breach is investigated. While a suspension is in force nothing can be sent to that partner.

Issue 6 (breaches) drives these; requests only ask `is_suspended`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import new_id
from app.roles import require
from app.timeutil import utc_now_iso


@dataclass(frozen=True)
class Suspension:
    id: str
    partner: str
    from_at: str
    reason: str
    suspended_by: str
    lifted_at: str | None
    lifted_by: str | None
    lifted_reason: str | None

    @classmethod
    def from_row(cls, row) -> "Suspension":
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})


def _check_partner(code: str) -> str:
    if code not in load_agreement().partner_codes():
        raise InvalidInput(f"Unknown partner code {code!r}.")
    return code


def current(vault, partner: str) -> Suspension | None:
    row = vault.db.one("SELECT * FROM partner_suspensions WHERE partner = ? AND lifted_at IS NULL"
                       " ORDER BY from_at DESC LIMIT 1", (partner,))
    return None if row is None else Suspension.from_row(row)


def is_suspended(vault, partner: str) -> bool:
    return current(vault, partner) is not None


def suspend(vault, partner: str, reason: str, *, from_at: str | None = None) -> Suspension:
    require(vault.role, "partners.suspend", "suspend a partner")
    _check_partner(partner)
    if not (reason or "").strip():
        raise InvalidInput("Enter why the arrangements with this partner are suspended.")
    if is_suspended(vault, partner):
        raise InvalidInput(f"{load_agreement().partner(partner).name} is already suspended.")
    sid = new_id()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO partner_suspensions (id, partner, from_at, reason, suspended_by) VALUES (?, ?, ?, ?, ?)",
            (sid, partner, from_at or utc_now_iso(), reason, vault.actor))
        vault.audit("partner.suspended", record_type="partner", record_id=partner)
    return current(vault, partner)


def lift(vault, partner: str, reason: str) -> Suspension:
    require(vault.role, "partners.suspend", "lift a partner's suspension")
    found = current(vault, partner)
    if found is None:
        raise InvalidInput(f"{partner} is not suspended.")
    if not (reason or "").strip():
        raise InvalidInput("Enter why the suspension is lifted.")
    with vault.db.transaction():
        vault.db.execute("UPDATE partner_suspensions SET lifted_at = ?, lifted_by = ?, lifted_reason = ?"
                         " WHERE id = ?", (utc_now_iso(), vault.actor, reason, found.id))
        vault.audit("partner.suspension_lifted", record_type="partner", record_id=partner)
    row = vault.db.one("SELECT * FROM partner_suspensions WHERE id = ?", (found.id,))
    return Suspension.from_row(row)


def history(vault, partner: str | None = None) -> list[Suspension]:
    if partner:
        rows = vault.db.query("SELECT * FROM partner_suspensions WHERE partner = ? ORDER BY from_at", (partner,))
    else:
        rows = vault.db.query("SELECT * FROM partner_suspensions ORDER BY from_at")
    return [Suspension.from_row(r) for r in rows]
