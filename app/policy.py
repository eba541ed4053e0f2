"""Vault-wide policy, set by an administrator and stored in the vault."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from app.errors import InvalidInput
from app.roles import require
from app.timeutil import utc_now_iso


@dataclass(frozen=True)
class Policy:
    idle_lock_minutes: int = 5
    keyring_allowed: bool = False
    response_due_days: int = 10
    retention_review_months: int = 24
    # Issue 20 (3.1, 6.4): refuse casework roles to users without approval or with lapsed training.
    casework_needs_approval: bool = False


_LIMITS = {
    "idle_lock_minutes": (1, 240),
    "response_due_days": (1, 90),
    "retention_review_months": (1, 120),
}


def defaults() -> Policy:
    from app.agreement import load_agreement

    deadlines = load_agreement().deadlines
    return Policy(response_due_days=deadlines.response_due_days,
                  retention_review_months=deadlines.review_months)


def get_policy(vault) -> Policy:
    values = asdict(defaults())
    for row in vault.db.query("SELECT key, value FROM policy"):
        if row["key"] in values:
            values[row["key"]] = json.loads(row["value"])
    return Policy(**values)


def parse_value(key: str, text: str):
    """Turn a typed value into the setting's type, or say what is wrong."""
    kinds = {f.name: f.type for f in fields(Policy)}
    if key not in kinds:
        raise InvalidInput(f"Unknown policy setting {key!r}; choose one of: {', '.join(kinds)}.")
    if kinds[key] in ("bool", bool):
        lowered = str(text).strip().lower()
        if lowered in ("yes", "true", "on", "1"):
            return True
        if lowered in ("no", "false", "off", "0"):
            return False
        raise InvalidInput(f"{key} takes yes or no, not {text!r}.")
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{key} takes a whole number, not {text!r}.") from None
    low, high = _LIMITS[key]
    if not low <= value <= high:
        raise InvalidInput(f"{key} must be between {low} and {high}.")
    return value


def set_policy(vault, key: str, text) -> Policy:
    require(vault.role, "policy.manage", "change the vault policy")
    value = parse_value(key, text)
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO policy (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " changed_at = excluded.changed_at, changed_by = excluded.changed_by",
            (key, json.dumps(value), utc_now_iso(), vault.actor),
        )
        vault.audit("policy.changed", record_type="policy", record_id=key, reason=f"set to {value}")
    return get_policy(vault)
