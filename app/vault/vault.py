"""Open, create and close a vault; the keyslots that guard its data key.

Lock discipline (KeePassXC's habit): the data key lives only in an open Vault, as a bytearray
that `close()` overwrites; closing also closes the connection and releases the lock file.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from app import audit
from app.errors import AuthError, InvalidInput, SpocError, VaultDamaged
from app.timeutil import utc_now, utc_now_iso
from app.vault import crypto, keyring_slot, passphrase as passphrase_rules, recovery
from app.vault.connection import Database, check_file_header, open_database
from app.vault.keyslots import KeyslotFile, Slot, keyslot_path
from app.vault.lockfile import VaultLock
from app.vault.migrations import LATEST, check_supported, migrate, pending, schema_version

log = logging.getLogger(__name__)

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
WRONG_CREDENTIALS = "Wrong user name or passphrase."
RECOVERY_ACTOR = "recovery-key"


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    agency: str
    active: bool
    created_at: str
    disabled_at: str | None = None
    passphrase_changed_at: str | None = None

    @classmethod
    def from_row(cls, row) -> "User":
        return cls(
            id=row["id"],
            name=row["name"],
            role=row["role"],
            agency=row["agency"],
            active=bool(row["active"]),
            created_at=row["created_at"],
            disabled_at=row["disabled_at"],
            passphrase_changed_at=row["passphrase_changed_at"],
        )


def default_kdf() -> crypto.ScryptParams:
    return crypto.ScryptParams(n=crypto.SCRYPT_N, r=crypto.SCRYPT_R, p=crypto.SCRYPT_P)


def check_user_name(name: str) -> str:
    if not USER_NAME.match(name or ""):
        raise InvalidInput(
            f"User name {name!r} is not allowed: use 2 to 64 letters, digits, dots, hyphens or "
            "underscores, starting with a letter or digit."
        )
    return name


def user_name_problem(name: str) -> str | None:
    """What is wrong with a user name, in a form's words; None when it is allowed."""
    if USER_NAME.match(name or ""):
        return None
    return "User names use 2 to 64 letters, digits, dots, hyphens or underscores, and start with a letter or digit"


def check_passphrase(value: str, whose: str = "The passphrase") -> str:
    found = passphrase_rules.problems(value)
    if found:
        raise InvalidInput(f"{whose} was refused: {' '.join(found)}")
    return value


class Vault:
    """An unlocked vault. Use `Vault.create`, `Vault.open` or `Vault.open_with_recovery`."""

    def __init__(self, path: Path, db: Database, dek: bytearray, keyslots: KeyslotFile,
                 lock: VaultLock, user: User | None):
        self.path = path
        self.db = db
        self._dek = dek
        self.keyslots = keyslots
        self._lock = lock
        self.user = user
        self.audit_key = crypto.audit_key(dek)
        self.vault_id = self.meta("vault_id")
        self.agency = self.meta("agency")

    # ---- identity --------------------------------------------------------------------------

    @property
    def actor(self) -> str:
        return self.user.name if self.user else RECOVERY_ACTOR

    @property
    def role(self) -> str:
        return self.user.role if self.user else "recovery"

    @property
    def is_open(self) -> bool:
        return not self.db.closed

    @property
    def keyslot_path(self) -> Path:
        return keyslot_path(self.path)

    def meta(self, key: str) -> str | None:
        return self.db.scalar("SELECT value FROM meta WHERE key = ?", (key,))

    def data_key_for_backup(self) -> bytearray:
        """The raw key, for the backup module only (it keys the copy with the same key)."""
        if self.db.closed:
            raise SpocError("The vault is locked.")
        return self._dek

    # ---- audit -----------------------------------------------------------------------------

    def audit(self, action: str, *, record_type: str | None = None, record_id: str | None = None,
              reason: str | None = None, actor: str | None = None, at: str | None = None) -> int:
        return audit.record(self.db, self.audit_key, actor or self.actor, action,
                            record_type=record_type, record_id=record_id, reason=reason, at=at)

    def chain_head(self) -> audit.ChainHead:
        return audit.head(self.db)

    # ---- creating --------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, *, user: str, passphrase: str, agency: str,
               kdf: crypto.ScryptParams | None = None) -> tuple["Vault", str]:
        """A new vault with its first (admin) user; returns it and the recovery key to show once."""
        from app.agreement import load_agreement

        path = Path(path)
        check_user_name(user)
        check_passphrase(passphrase)
        agreement = load_agreement()
        if agency not in agreement.partner_codes():
            raise InvalidInput(
                f"Unknown agency code {agency!r}; choose one of: {', '.join(agreement.partner_codes())}."
            )
        if not path.parent.is_dir():
            raise InvalidInput(f"The folder {path.parent} does not exist.")
        slots_path = keyslot_path(path)
        if path.exists() or slots_path.exists():
            raise InvalidInput(f"{path} already exists; choose a new file name for the vault.")

        lock = VaultLock(path)
        lock.acquire()
        dek = crypto.new_data_key()
        created: list[Path] = []
        try:
            vault_id = str(uuid.uuid4())
            slots = KeyslotFile(vault_id=vault_id)
            slots.add_passphrase_slot(user, passphrase, dek, kdf or default_kdf())
            secret = recovery.new_recovery_secret()
            slots.add_secret_slot("recovery", None, secret, dek)
            # Keyslots first: a keyslot file without its vault is harmless, a vault without
            # its keyslots would be lost.
            slots.save(slots_path)
            created.append(slots_path)
            db = open_database(path, dek, create=True)
            created.append(path)
            _restrict(path)
            migrate(db)
            now = utc_now_iso()
            user_id = str(uuid.uuid4())
            with db.transaction():
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("vault_id", vault_id), ("agency", agency), ("created_at", now),
                     ("agreement", agreement.info.short_name)],
                )
                db.execute(
                    "INSERT INTO users (id, name, role, agency, active, created_at, created_by,"
                    " passphrase_changed_at) VALUES (?, ?, 'admin', ?, 1, ?, NULL, ?)",
                    (user_id, user, agency, now, now),
                )
                key = crypto.audit_key(dek)
                audit.record(db, key, user, "vault.created", record_type="vault", record_id=vault_id)
                audit.record(db, key, user, "user.added", record_type="user", record_id=user_id,
                             reason="first administrator")
                audit.record(db, key, user, "recovery_key.issued", record_type="vault", record_id=vault_id)
            row = db.one("SELECT * FROM users WHERE id = ?", (user_id,))
            vault = cls(path, db, dek, slots, lock, User.from_row(row))
        except BaseException:
            for leftover in reversed(created):
                for extra in ("", "-wal", "-shm"):
                    Path(str(leftover) + extra).unlink(missing_ok=True)
            crypto.clear(dek)
            lock.release()
            raise
        log.info("vault.created")
        return vault, recovery.format_recovery_key(secret)

    # ---- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, user: str, passphrase: str) -> "Vault":
        def unwrap(slots: KeyslotFile, path: Path):
            slot = slots.passphrase_slot(user)
            if slot is not None:
                try:
                    return slots.unwrap_with_passphrase(slot, passphrase), slot.user
                except crypto.UnwrapError:
                    pass
            _note_failure(slots, path, user)
            raise AuthError(WRONG_CREDENTIALS)

        return cls._unlock(path, unwrap, how="passphrase")

    @classmethod
    def open_with_recovery(cls, path: str | Path, recovery_key: str) -> "Vault":
        """Unlock with the recovery key; the session may only reset passphrases and verify."""
        secret = recovery.parse_recovery_key(recovery_key)

        def unwrap(slots: KeyslotFile, path: Path):
            dek = _first_unwrap(slots, slots.slots_of("recovery"), lambda slot: secret)
            if dek is None:
                _note_failure(slots, path, RECOVERY_ACTOR)
                raise AuthError("That recovery key does not open this vault.")
            return dek, None

        return cls._unlock(path, unwrap, how="recovery key")

    @classmethod
    def open_with_keyring(cls, path: str | Path, *, user: str) -> "Vault":
        """Unlock with this workstation's remembered key, where the user chose to remember it."""
        from app.policy import get_policy

        def unwrap(slots: KeyslotFile, path: Path):
            status = keyring_slot.status()
            if not status.usable:
                raise AuthError(f"Cannot use the remembered key: {status.reason}.")
            dek = _first_unwrap(slots, slots.slots_of("keyring", user),
                                lambda slot: keyring_slot.load(slots.vault_id, slot.id))
            if dek is None:
                raise AuthError("This workstation does not remember a key for that user; use the passphrase.")
            return dek, user

        vault = cls._unlock(path, unwrap, how="keyring")
        if not get_policy(vault).keyring_allowed:
            # The administrator has since forbidden remembered keys: drop this one for good.
            vault.forget_on_workstation()
            vault.close(reason="remembered key refused by policy")
            raise AuthError("Your administrator no longer allows remembered keys; use your passphrase.")
        return vault

    @classmethod
    def _unlock(cls, path: str | Path, unwrap, *, how: str) -> "Vault":
        """Take the lock, load the keyslots, let `unwrap` find the data key, then open."""
        path = Path(path)
        check_file_header(path)
        lock = VaultLock(path)
        lock.acquire()
        try:
            slots = KeyslotFile.load(keyslot_path(path))
            dek, user_name = unwrap(slots, path)
            return cls._finish_open(path, dek, slots, lock, user_name=user_name, how=how)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _finish_open(cls, path: Path, dek: bytearray, slots: KeyslotFile, lock: VaultLock,
                     *, user_name: str | None, how: str) -> "Vault":
        db = open_database(path, dek)
        try:
            version = schema_version(db)
            if version == 0:
                raise VaultDamaged(f"{path.name} holds no SPOC Desk schema; it is damaged or not a vault.")
            check_supported(version, path.name)
            migrated_from = None
            if pending(version):
                _backup_before_migration(path, db, dek, slots, version)
                migrate(db)
                migrated_from = version
            vault_id = db.scalar("SELECT value FROM meta WHERE key = 'vault_id'")
            if vault_id != slots.vault_id:
                raise VaultDamaged("The keyslot file belongs to another vault; restore the right one.")
            user = None
            if user_name is not None:
                row = db.one("SELECT * FROM users WHERE name = ?", (user_name,))
                if row is None or not row["active"]:
                    _note_failure(slots, path, user_name)
                    raise AuthError(f"The user {user_name} is disabled or unknown; ask your administrator.")
                user = User.from_row(row)
            vault = cls(path, db, dek, slots, lock, user)
        except BaseException:
            db.close()
            crypto.clear(dek)
            raise
        try:
            with db.transaction():
                if migrated_from is not None:
                    vault.audit("vault.migrated", record_type="vault", record_id=vault.vault_id,
                                reason=f"schema {migrated_from} to {LATEST}")
                for failure in slots.failed_unlocks:
                    vault.audit("login.failed", actor=str(failure.get("user", "?"))[:64],
                                at=str(failure.get("at") or utc_now_iso()),
                                reason="recorded at the next successful unlock")
                vault.audit("login", record_type="vault", record_id=vault.vault_id, reason=how)
            if slots.failed_unlocks:
                slots.failed_unlocks = []
                slots.save(keyslot_path(path))
        except BaseException:
            vault.close(record=False)
            raise
        log.info("vault.unlocked")
        return vault

    # ---- integrity and backups -------------------------------------------------------------

    def verify(self):
        from app.roles import require
        from app.vault.verify import verify_database

        if self.user is not None:
            require(self.role, "vault.verify", "verify the vault")
        report = verify_database(self.db, self.audit_key)
        try:
            self.audit("vault.verified", record_type="vault", record_id=self.vault_id,
                       reason="ok" if report.ok else "problems found")
        except SpocError:
            # SQLCipher refuses writes after a failed page check; the report matters more.
            if report.ok:
                raise
        return report

    def backup(self, dest: str | Path):
        from app.roles import require
        from app.vault.backup import write_backup

        require(self.role, "vault.backup", "back up the vault")
        info = write_backup(self.db, self._dek, self.keyslots, Path(dest), schema=schema_version(self.db))
        self.audit("vault.backup", record_type="vault", record_id=self.vault_id,
                   reason=f"backup file {Path(dest).name}")
        return info

    # ---- keyslots --------------------------------------------------------------------------

    def save_keyslots(self) -> None:
        self.keyslots.save(self.keyslot_path)

    def add_passphrase_slot(self, user: str, passphrase: str, kdf: crypto.ScryptParams | None = None) -> Slot:
        return self.keyslots.add_passphrase_slot(user, passphrase, self._dek, kdf or default_kdf())

    def replace_passphrase_slot(self, user: str, passphrase: str,
                                kdf: crypto.ScryptParams | None = None) -> None:
        """Rewrap the key for `user` under a new passphrase; the database is not rekeyed."""
        old = self.keyslots.slots_of("passphrase", user)
        self.add_passphrase_slot(user, passphrase, kdf)
        self.keyslots.slots = [s for s in self.keyslots.slots if s not in old]

    def remove_user_slots(self, user: str) -> None:
        for slot in self.keyslots.remove_user_slots(user):
            if slot.kind == "keyring":
                _forget_keyring(self.keyslots.vault_id, slot.id)

    def new_recovery_key(self) -> str:
        """Replace the recovery slot; the old recovery key stops working."""
        secret = recovery.new_recovery_secret()
        self.keyslots.slots = [s for s in self.keyslots.slots if s.kind != "recovery"]
        self.keyslots.add_secret_slot("recovery", None, secret, self._dek)
        self.save_keyslots()
        self.audit("recovery_key.issued", record_type="vault", record_id=self.vault_id)
        return recovery.format_recovery_key(secret)

    def remember_on_workstation(self) -> None:
        """Add a keyring slot for the current user, where policy and the platform allow it."""
        from app.policy import get_policy

        if self.user is None:
            raise AuthError("Only a signed-in user can be remembered on a workstation.")
        if not get_policy(self).keyring_allowed:
            raise AuthError("Your administrator's policy does not allow remembering the key on a workstation.")
        status = keyring_slot.status()
        if not status.usable:
            raise InvalidInput(f"Cannot remember the key here: {status.reason}.")
        self.forget_on_workstation(record=False)
        secret = keyring_slot.new_secret()
        slot = self.keyslots.add_secret_slot("keyring", self.user.name, secret, self._dek,
                                             backend=status.backend)
        keyring_slot.store(self.keyslots.vault_id, slot.id, secret)
        try:
            self.save_keyslots()
        except BaseException:
            _forget_keyring(self.keyslots.vault_id, slot.id)
            raise
        self.audit("keyring.remembered", record_type="user", record_id=self.user.id)

    def forget_on_workstation(self, *, record: bool = True) -> None:
        if self.user is None:
            return
        slots = self.keyslots.slots_of("keyring", self.user.name)
        if not slots:
            return
        self.keyslots.slots = [s for s in self.keyslots.slots if s not in slots]
        self.save_keyslots()
        for slot in slots:
            _forget_keyring(self.keyslots.vault_id, slot.id)
        if record:
            self.audit("keyring.forgotten", record_type="user", record_id=self.user.id)

    # ---- closing ---------------------------------------------------------------------------

    def interrupt(self) -> None:
        """A lock is coming while work runs in other threads: stop it at its next statement (see
        Database.interrupt); this thread may still write its drafts and the logout event."""
        self.db.interrupt()

    def close(self, *, record: bool = True, reason: str = "closed") -> None:
        """Lock: record it, close the connection, overwrite the key, release the lock file."""
        if self.db.closed:
            return
        try:
            if record:
                try:
                    self.audit("logout", record_type="vault", record_id=self.vault_id, reason=reason)
                except SpocError:
                    pass  # a full or damaged disk must not stop the lock itself
        finally:
            self.db.close()
            crypto.clear(self._dek)
            self.audit_key = b""
            self._lock.release()
            log.info("vault.locked")

    def __enter__(self) -> "Vault":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _first_unwrap(slots: KeyslotFile, candidates: list[Slot], secret_for) -> bytearray | None:
    """The data key from the first candidate slot whose secret opens it."""
    for slot in candidates:
        secret = secret_for(slot)
        if secret is None:
            continue
        try:
            return slots.unwrap_with_secret(slot, secret)
        except crypto.UnwrapError:
            continue
    return None


def _note_failure(slots: KeyslotFile, path: Path, user: str) -> None:
    """Keep a failed unlock until the audit trail can take it (it needs the data key)."""
    slots.note_failed_unlock(user)
    try:
        slots.save(keyslot_path(path))
    except OSError:
        log.warning("vault.unlock.failure_not_recorded")
    log.info("vault.unlock.failed")


def _restrict(path: Path) -> None:
    try:
        path.chmod(0o600)
    except OSError:
        pass


def _forget_keyring(vault_id: str, slot_id: str) -> None:
    try:
        keyring_slot.delete(vault_id, slot_id)
    except Exception:  # noqa: BLE001 - the slot is gone from the file either way; the stray secret opens nothing
        log.warning("keyring.delete_failed")


def _backup_before_migration(path: Path, db: Database, dek: bytearray, slots: KeyslotFile, version: int) -> Path:
    from app.vault.backup import write_backup

    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    dest = path.with_name(f"{path.name}.before-schema-{LATEST}-from-{version}-{stamp}.backup")
    write_backup(db, dek, slots, dest, schema=version)
    log.info("vault.migration.backup_taken")
    return dest
