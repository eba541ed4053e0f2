"""Users of one desk: add, disable, change or reset a passphrase. Admins manage; anyone may
change their own passphrase. Disabling a user removes their keyslots."""

from __future__ import annotations

import uuid

from app.errors import InvalidInput
from app.roles import check_role, require
from app.timeutil import utc_now_iso
from app.vault.vault import User, Vault, check_passphrase, check_user_name


def list_users(vault: Vault) -> list[User]:
    rows = vault.db.query("SELECT * FROM users ORDER BY active DESC, name COLLATE NOCASE")
    return [User.from_row(r) for r in rows]


def find_user(vault: Vault, name: str) -> User:
    row = vault.db.one("SELECT * FROM users WHERE name = ?", (name,))
    if row is None:
        raise InvalidInput(f"There is no user called {name!r} in this vault.")
    return User.from_row(row)


def add_user(vault: Vault, name: str, role: str, passphrase: str) -> User:
    require(vault.role, "users.manage", "add users")
    check_user_name(name)
    check_role(role)
    check_passphrase(passphrase, f"The passphrase for {name}")
    if vault.db.one("SELECT 1 FROM users WHERE name = ?", (name,)) or vault.keyslots.passphrase_slot(name):
        raise InvalidInput(f"A user called {name!r} already exists (user names ignore case).")
    user_id = str(uuid.uuid4())
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO users (id, name, role, agency, active, created_at, created_by, passphrase_changed_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
            (user_id, name, role, vault.agency, now, vault.actor, now),
        )
        vault.audit("user.added", record_type="user", record_id=user_id, reason=f"role {role}")
        # The slot is saved inside the transaction: if saving fails nothing is committed; a slot
        # left without its user (commit failed after) opens nothing, as open() needs the user row.
        vault.add_passphrase_slot(name, passphrase)
        try:
            vault.save_keyslots()
        except BaseException:
            vault.keyslots.remove_user_slots(name)
            raise
    return find_user(vault, name)


def disable_user(vault: Vault, name: str, reason: str | None = None) -> User:
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
    with vault.db.transaction():
        vault.db.execute(
            "UPDATE users SET active = 0, disabled_at = ?, disabled_by = ? WHERE id = ?",
            (utc_now_iso(), vault.actor, user.id),
        )
        vault.audit("user.disabled", record_type="user", record_id=user.id, reason=reason)
        removed = vault.keyslots.slots_of("passphrase", user.name) + vault.keyslots.slots_of("keyring", user.name)
        vault.remove_user_slots(user.name)
        try:
            vault.save_keyslots()
        except BaseException:
            vault.keyslots.slots.extend(removed)
            raise
    return find_user(vault, name)


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


def change_passphrase(vault: Vault, name: str, new_passphrase: str) -> User:
    """Your own passphrase, or (admin, or a recovery-key session) anyone's: rewraps one slot."""
    user = find_user(vault, name)
    own = vault.user is not None and user.id == vault.user.id
    if not own and vault.user is not None:
        require(vault.role, "users.manage", "reset another user's passphrase")
    if not user.active:
        raise InvalidInput(f"{user.name} is disabled; an administrator must enable them first.")
    check_passphrase(new_passphrase, "The new passphrase")
    before = list(vault.keyslots.slots)
    with vault.db.transaction():
        vault.db.execute("UPDATE users SET passphrase_changed_at = ? WHERE id = ?", (utc_now_iso(), user.id))
        vault.audit("user.passphrase_changed" if own else "user.passphrase_reset",
                    record_type="user", record_id=user.id)
        vault.replace_passphrase_slot(user.name, new_passphrase)
        try:
            vault.save_keyslots()
        except BaseException:
            vault.keyslots.slots = before
            raise
    return user


