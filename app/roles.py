"""Roles and what each may do (need to know: clauses 6.4 and 9.4).

Permissions are checked in the core, so the CLI and the desktop app refuse the same things.
"""

from __future__ import annotations

from app.errors import AuthError

ROLES: dict[str, str] = {
    "admin": "Administrator: users, policy, backups",
    "spoc": "Single Point of Contact: requests, responses, disclosures",
    "dpm": "Data Protection Manager: breaches, corrections, retention, compliance",
    "chair": "Meeting chair or lead officer: tactical meetings and meeting packs",
    "auditor": "Auditor: reads the audit trail and checks the vault",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "policy.manage": frozenset({"admin"}),
    "vault.backup": frozenset({"admin", "dpm"}),
    "vault.verify": frozenset({"admin", "dpm", "auditor"}),
    "vault.status": frozenset(ROLES),
    "audit.read": frozenset({"admin", "dpm", "auditor"}),
}


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


def require(role: str, permission: str, what: str) -> None:
    if not can(role, permission):
        allowed = ", ".join(sorted(PERMISSIONS.get(permission, ())))
        raise AuthError(f"Your role ({role}) may not {what}; that needs one of: {allowed}.")


def check_role(role: str) -> str:
    from app.errors import InvalidInput

    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}.")
    return role
