"""Users of one desk: add, disable, change or reset a passphrase. Admins manage; anyone may
change their own passphrase.

Disabling a user, and resetting a passphrase because it may be known to someone else, rekey the
vault: a new data key sealed to every remaining slot, so the old passphrase with an old copy of
the keyslot file opens nothing written afterwards. A reset because a passphrase was forgotten
rewraps one slot. The audit trail carries codes and ids; the reason an administrator types when
disabling someone is kept with the user record. Creating a casework account (spoc, chair, dpm)
or resetting a casework user's passphrase is a notice for the Data Protection Manager until
acknowledged (`account_notices`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.errors import InvalidInput
from app.roles import check_role, require
from app.timeutil import utc_now_iso
from app.vault.vault import RekeyBlocked, User, Vault, check_passphrase, check_user_name

CASEWORK_ROLES = frozenset({"spoc", "chair", "dpm"})
# Why a passphrase is reset: a code for the audit trail. "may-be-known" rekeys the vault.
RESET_REASONS = {
    "forgotten": "Forgotten: only this user's slot is rewrapped",
    "may-be-known": "May be known to someone else: the vault is rekeyed, old copies open nothing",
}
DISABLE_REASON_MAX = 500


@dataclass(frozen=True)
class Outcome:
    """What a change did to the vault's keys, for the screen and the command line."""
    user: User
    rekeyed: bool
    not_rekeyed_because: str | None = None


def list_users(vault: Vault) -> list[User]:
    rows = vault.db.query("SELECT * FROM users ORDER BY active DESC, name COLLATE NOCASE")
    return [User.from_row(r) for r in rows]


def find_user(vault: Vault, name: str) -> User:
    row = vault.db.one("SELECT * FROM users WHERE name = ?", (name,))
    if row is None:
        raise InvalidInput(f"There is no user called {name!r} in this vault.")
    return User.from_row(row)


def _notice(vault: Vault, kind: str, user_id: str, role: str, detail: str | None) -> None:
    if role not in CASEWORK_ROLES:
        return
    nid = str(uuid.uuid4())
    vault.db.execute(
        "INSERT INTO account_notices (id, kind, user_id, role, detail, at, by_user) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (nid, kind, user_id, role, detail, utc_now_iso(), vault.actor),
    )


def add_user(vault: Vault, name: str, role: str, passphrase: str) -> User:
    require(vault.role, "users.manage", "add users")
    check_user_name(name)
    check_role(role)
    check_passphrase(passphrase, f"The passphrase for {name}", user_inputs=(name, vault.agency))
    if vault.db.one("SELECT 1 FROM users WHERE name = ?", (name,)) or vault.keyslots.passphrase_slot(name):
        raise InvalidInput(f"A user called {name!r} already exists (user names ignore case).")
    user_id = str(uuid.uuid4())
    now = utc_now_iso()
    # Listed in the vault before any keyslot file holds it (a slot listed without a user opens nothing).
    slot = vault.add_passphrase_slot(name, passphrase)
    try:
        with vault.db.transaction():
            vault.db.execute(
                "INSERT INTO users (id, name, role, agency, active, created_at, created_by, passphrase_changed_at)"
                " VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                (user_id, name, role, vault.agency, now, vault.actor, now),
            )
            vault.audit("user.added", record_type="user", record_id=user_id, reason=f"role {role}")
            _notice(vault, "account-created", user_id, role, None)
            vault.save_keyslots()
    except BaseException:
        vault.keyslots.slots = [s for s in vault.keyslots.slots if s is not slot]
        raise
    return find_user(vault, name)


def _forget_remembered(vault: Vault, slots) -> None:
    from app.vault.vault import _forget_keyring

    for slot in slots:
        if slot.kind == "keyring":
            _forget_keyring(vault.keyslots.vault_id, slot.id)


def _rekey(vault: Vault) -> tuple[bool, str | None]:
    try:
        vault.rekey()
    except RekeyBlocked as exc:
        return False, str(exc)
    return True, None


def disable_user(vault: Vault, name: str, reason: str | None = None) -> Outcome:
    """Disable `name`, remove their slots and rekey. `reason` (free text) stays with the user
    record; the audit trail says only that one was recorded."""
    require(vault.role, "users.manage", "disable users")
    user = find_user(vault, name)
    if not user.active:
        raise InvalidInput(f"{user.name} is already disabled.")
    if vault.user is not None and user.id == vault.user.id:
        raise InvalidInput("You cannot disable yourself; ask another administrator.")
    if user.role == "admin":
        admins = vault.db.scalar("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1")
        if admins <= 1:
            raise InvalidInput(f"{user.name} is the last active administrator and cannot be disabled.")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > DISABLE_REASON_MAX:
        raise InvalidInput(f"Keep the reason under {DISABLE_REASON_MAX} characters.")
    before = list(vault.keyslots.slots)
    revoked = vault.keyslots.slots_of("passphrase", user.name) + vault.keyslots.slots_of("keyring", user.name)
    try:
        with vault.db.transaction():
            vault.db.execute(
                "UPDATE users SET active = 0, disabled_at = ?, disabled_by = ?, disabled_reason = ? WHERE id = ?",
                (utc_now_iso(), vault.actor, reason, user.id),
            )
            vault.audit("user.disabled", record_type="user", record_id=user.id,
                        reason="reason recorded with the user" if reason else None)
            vault.revoke_slots(revoked, "user-disabled")
    except BaseException:
        vault.keyslots.slots = before
        raise
    _forget_remembered(vault, revoked)  # their remembered keys, from this workstation's store
    rekeyed, why_not = _rekey(vault)
    return Outcome(find_user(vault, name), rekeyed, why_not)


WRONG_CURRENT = "The current passphrase is wrong; type it again"


class WrongCurrentPassphrase(InvalidInput):
    """The current passphrase given to confirm a change does not open the user's keyslot."""


def check_current_passphrase(vault: Vault, name: str, current: str) -> None:
    """Raise WrongCurrentPassphrase unless `current` unwraps `name`'s keyslot (slow: runs the KDF).
    The unwrapped key is wiped at once."""
    from app.vault import crypto

    slot = vault.keyslots.passphrase_slot(name)
    if slot is None:
        raise WrongCurrentPassphrase(WRONG_CURRENT)
    try:
        key = vault.keyslots.unwrap_with_passphrase(slot, current)
    except crypto.UnwrapError:
        raise WrongCurrentPassphrase(WRONG_CURRENT) from None
    crypto.clear(key)


def change_passphrase(vault: Vault, name: str, new_passphrase: str, *, reset_reason: str | None = None) -> Outcome:
    """Your own passphrase, or (admin, or a recovery-key session) anyone's. `reset_reason`
    "may-be-known" rekeys the vault; otherwise one slot is rewrapped."""
    user = find_user(vault, name)
    own = vault.user is not None and user.id == vault.user.id
    if not own and vault.user is not None:
        require(vault.role, "users.manage", "reset another user's passphrase")
    if reset_reason is not None and reset_reason not in RESET_REASONS:
        raise InvalidInput(f"Say why the passphrase is reset: {', '.join(RESET_REASONS)}.")
    if not user.active:
        raise InvalidInput(f"{user.name} is disabled; an administrator must enable them first.")
    check_passphrase(new_passphrase, "The new passphrase", user_inputs=(user.name, user.agency))
    compromised = reset_reason == "may-be-known"
    before = list(vault.keyslots.slots)
    old = vault.keyslots.slots_of("passphrase", user.name)
    vault.add_passphrase_slot(user.name, new_passphrase)  # listed at once
    try:
        if compromised:
            # The new slot is in the file before the old one is revoked: a crash leaves a file
            # that opens with the new passphrase, and the rekey is finished at the next unlock.
            vault.save_keyslots()
        with vault.db.transaction():
            vault.db.execute("UPDATE users SET passphrase_changed_at = ? WHERE id = ?", (utc_now_iso(), user.id))
            vault.audit("user.passphrase_changed" if own else "user.passphrase_reset",
                        record_type="user", record_id=user.id, reason=reset_reason)
            if not own:
                _notice(vault, "passphrase-reset", user.id, user.role, reset_reason)
            if compromised:
                revoked = old + vault.keyslots.slots_of("keyring", user.name)
                vault.revoke_slots(revoked, "passphrase-may-be-known")
            else:
                vault.keyslots.slots = [s for s in vault.keyslots.slots if s not in old]
                vault.save_keyslots()
    except BaseException:
        vault.keyslots.slots = before
        raise
    if compromised:
        _forget_remembered(vault, [s for s in before if s.kind == "keyring"
                                   and (s.user or "").casefold() == user.name.casefold()])
        rekeyed, why_not = _rekey(vault)
        return Outcome(user, rekeyed, why_not)
    return Outcome(user, False)


def rekey_vault(vault: Vault) -> Outcome:
    """An administrator's rekey (after a revocation done by an older version, say)."""
    require(vault.role, "users.manage", "rekey the vault")
    with vault.db.transaction():
        vault.revoke_slots([], "administrator")
    rekeyed, why_not = _rekey(vault)
    return Outcome(vault.user, rekeyed, why_not)


def disabled_reason(vault: Vault, name: str) -> str | None:
    require(vault.role, "users.manage", "read why a user was disabled")
    return vault.db.scalar("SELECT disabled_reason FROM users WHERE name = ?", (name,))


# ---- notices for the Data Protection Manager -------------------------------------------------


@dataclass(frozen=True)
class AccountNotice:
    id: str
    kind: str
    user_name: str
    role: str
    detail: str | None
    at: str
    by_user: str


def open_notices(vault: Vault) -> list[AccountNotice]:
    """New casework accounts and passphrase resets the DPM has not acknowledged, oldest first."""
    require(vault.role, "accounts.acknowledge", "see account notices")
    rows = vault.db.query(
        "SELECT n.id, n.kind, u.name, n.role, n.detail, n.at, n.by_user FROM account_notices n"
        " JOIN users u ON u.id = n.user_id WHERE n.acknowledged_at IS NULL ORDER BY n.at, n.id"
    )
    return [AccountNotice(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def acknowledge_notice(vault: Vault, notice_id: str) -> None:
    require(vault.role, "accounts.acknowledge", "acknowledge account notices")
    with vault.db.transaction():
        done = vault.db.execute(
            "UPDATE account_notices SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL",
            (utc_now_iso(), vault.actor, notice_id),
        ).rowcount
        if not done:
            raise InvalidInput("That notice does not exist or was already acknowledged.")
        vault.audit("account_notice.acknowledged", record_type="account_notice", record_id=notice_id)
