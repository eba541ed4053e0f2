"""`spocdesk status`: a JSON summary of one vault, with no personal data in it."""

from __future__ import annotations

from dataclasses import asdict

from app.breaches import breach_counts
from app.complaints import complaint_counts
from app.policy import get_policy
from app.roles import require
from app.timeutil import utc_now_iso
from app.vault.migrations import schema_version


def vault_status(vault) -> dict:
    require(vault.role, "vault.status", "see the vault status")
    users = vault.db.query("SELECT role, active FROM users")
    by_role: dict[str, int] = {}
    for row in users:
        if row["active"]:
            by_role[row["role"]] = by_role.get(row["role"], 0) + 1
    slots = vault.keyslots
    head = vault.chain_head()
    status = {
        "vault": vault.path.name,
        "vault_id": vault.vault_id,
        "agency": vault.agency,
        "schema_version": schema_version(vault.db),
        "generated_at": utc_now_iso(),
        "users": {
            "active": sum(1 for r in users if r["active"]),
            "disabled": sum(1 for r in users if not r["active"]),
            "active_by_role": dict(sorted(by_role.items())),
        },
        "keyslots": {
            "passphrase": len(slots.slots_of("passphrase")),
            "recovery": len(slots.slots_of("recovery")),
            "keyring": len(slots.slots_of("keyring")),
        },
        "policy": asdict(get_policy(vault)),
        "audit": {"events": head.seq, "head": head.short()},
        "requests": _request_counts(vault),
        "breaches": breach_counts(vault),
        "corrections": _correction_counts(vault),
        "complaints": complaint_counts(vault),  # 10.1, counted apart from breaches
        "agreement": _agreement_status(vault),
    }
    from app.consent import counts as consent_counts  # sections 6.2, 6.3 (issue 18)

    status["consents"] = consent_counts(vault)
    vault.audit("vault.status_viewed", record_type="vault", record_id=vault.vault_id)
    return status


def _correction_counts(vault) -> dict:
    """Clause 7.2, counts only: notices not yet corrected or declined, recipients not yet confirmed."""
    from app.corrections import counts

    return counts(vault)


def _request_counts(vault) -> dict:
    """Counts only (no personal data): requests by status, responses awaited and overdue."""
    from app.records import today_london

    by_status = {row[0]: row[1] for row in vault.db.query("SELECT status, count(*) FROM requests GROUP BY status")}
    awaiting = vault.db.scalar("SELECT count(*) FROM dispatches WHERE status IN ('sent','acknowledged')")
    overdue = vault.db.scalar("SELECT count(*) FROM dispatches WHERE status IN ('sent','acknowledged')"
                              " AND due_date < ?", (today_london().isoformat(),))
    return {"draft": by_status.get("draft", 0), "open": by_status.get("open", 0),
            "closed": by_status.get("closed", 0), "responses_awaited": awaiting, "responses_overdue": overdue}


def _agreement_status(vault) -> dict | None:
    """The agreement this vault works under (issue 20) and the governance clocks, as counts."""
    from app import governance

    record = governance.current_record(vault)
    if record is None:
        return None
    signed = vault.db.scalar("SELECT count(*) FROM signatories")
    shown = {k: v for k, v in record.as_json().items() if k != "adopted_by"}  # counts and codes, no names
    return {**shown, "signatories_recorded": signed,
            "reviews_overdue": len(governance.overdue_reviews(vault)),
            "disputes_open": vault.db.scalar("SELECT count(*) FROM disputes WHERE status = 'open'"),
            "disputes_overdue": len(governance.overdue_disputes(vault))}
