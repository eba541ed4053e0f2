"""`spocdesk status`: a JSON summary of one vault, with no personal data in it."""

from __future__ import annotations

from dataclasses import asdict

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
    }
    vault.audit("vault.status_viewed", record_type="vault", record_id=vault.vault_id)
    return status
