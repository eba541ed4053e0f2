"""Open, create and close a vault; the keyslots that guard its data key.

Lock discipline (KeePassXC's habit): the data key lives only in an open Vault, as a bytearray
that `close()` overwrites; closing also closes the connection and releases the lock file.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from app import audit, unlock_throttle
from app.errors import AuthError, InvalidInput, SpocError, VaultDamaged
from app.timeutil import utc_now, utc_now_iso
from app.vault import crypto, keyring_slot, passphrase as passphrase_rules, recovery
from app.vault.connection import Database, check_file_header, open_database
from app.vault.keyslots import OUT_OF_DATE, KeyslotFile, Slot, SlotKeys, keyslot_path
from app.vault.lockfile import VaultLock
from app.vault.migrations import LATEST, check_supported, migrate, pending, schema_version

log = logging.getLogger(__name__)

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
WRONG_CREDENTIALS = "Wrong user name or passphrase."
RECOVERY_ACTOR = "recovery-key"
# Why a vault was rekeyed: codes, for the audit trail.
REKEY_REASONS = ("user-disabled", "passphrase-may-be-known", "recovery-key-replaced", "administrator")
_REKEY_PENDING = "rekey_pending"
_CHAIN_KEY = "audit_chain_key"


class RekeyBlocked(InvalidInput):
    """A slot of the old format cannot be resealed without its passphrase."""


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


def default_kdf() -> crypto.Argon2Params:
    """Argon2id for every new or changed passphrase slot (scrypt slots are upgraded at unlock)."""
    return crypto.default_argon2()


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


def check_passphrase(value: str, whose: str = "The passphrase", user_inputs=()) -> str:
    found = passphrase_rules.problems(value, user_inputs)
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
        self.last_rekey_seconds: float | None = None
        self.location_warning: str | None = None
        self.audit_key = audit.chain_key(db, dek)
        self.vault_id = self.meta("vault_id")
        self.agency = self.meta("agency")
        from app.governance import activate_for

        self.agreement = activate_for(db)  # the agreement kept in the vault; the whole app follows it

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

    def audit_many(self, events: list[tuple[str, str | None, str | None, str | None]]) -> None:
        """Several events by this vault's user, in order: `(action, record_type, record_id, reason)`."""
        audit.record_many(self.db, self.audit_key, self.actor, events)

    def chain_head(self) -> audit.ChainHead:
        return audit.head(self.db)

    # ---- creating --------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, *, user: str, passphrase: str, agency: str,
               kdf=None, agreement_file: str | Path | None = None) -> tuple["Vault", str]:
        """A new vault with its first (admin) user; returns it and the recovery key to show once.
        It works under `agreement_file` (the shipped agreement when None), kept whole in the vault."""
        from app.governance import read_new_agreement

        path = Path(path)
        check_user_name(user)
        check_passphrase(passphrase, user_inputs=(user, agency))
        agreement_text, agreement = read_new_agreement(agreement_file)
        if agency not in agreement.partner_codes():
            raise InvalidInput(
                f"Unknown agency code {agency!r}; choose one of: {', '.join(agreement.partner_codes())}."
            )
        if not path.parent.is_dir():
            raise InvalidInput(f"The folder {path.parent} does not exist.")
        from app.vault import location

        synced = location.synced_reason(path.parent)
        if synced:
            raise InvalidInput(location.refusal(path.parent, synced))
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
                from app.governance import record_initial_agreement

                record_initial_agreement(db, agreement_text, agreement,
                                         Path(agreement_file).name if agreement_file else "derby-derbyshire.json", user)
            row = db.one("SELECT * FROM users WHERE id = ?", (user_id,))
            vault = cls(path, db, dek, slots, lock, User.from_row(row))
            vault._reconcile_keyslots()  # the first listing of the slots, and the file's check
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
            _refuse_while_throttled(slots, user)
            slot = slots.passphrase_slot(user)
            if slot is not None:
                try:
                    keys = slots.unlock_with_passphrase(slot, passphrase)
                except crypto.UnwrapError:
                    pass
                else:
                    def upgrade(vault: "Vault") -> None:
                        if slot.format == 1 or slot.kdf.get("name") != "argon2id":
                            vault._upgrade_passphrase_slot(slot, passphrase)
                    return keys, slot.user, slot, upgrade
            _note_failure(slots, path, user)
            raise AuthError(WRONG_CREDENTIALS)

        return cls._unlock(path, unwrap, how="passphrase")

    @classmethod
    def open_with_recovery(cls, path: str | Path, recovery_key: str) -> "Vault":
        """Unlock with the recovery key; the session may only reset passphrases and verify."""
        secret = recovery.parse_recovery_key(recovery_key)

        def unwrap(slots: KeyslotFile, path: Path):
            _refuse_while_throttled(slots, RECOVERY_ACTOR)
            found = _first_unlock(slots, slots.slots_of("recovery"), lambda slot: secret)
            if found is None:
                _note_failure(slots, path, RECOVERY_ACTOR)
                raise AuthError("That recovery key does not open this vault.")
            keys, slot = found

            def upgrade(vault: "Vault") -> None:
                if slot.format == 1:
                    vault._upgrade_secret_slot(slot, secret)
            return keys, None, slot, upgrade

        return cls._unlock(path, unwrap, how="recovery key")

    @classmethod
    def open_with_keyring(cls, path: str | Path, *, user: str) -> "Vault":
        """Unlock with this workstation's remembered key, where the user chose to remember it."""
        from app.policy import get_policy

        def unwrap(slots: KeyslotFile, path: Path):
            status = keyring_slot.status()
            if not status.usable:
                raise AuthError(f"Cannot use the remembered key: {status.reason}.")
            secrets_seen: dict[str, bytes] = {}

            def secret_for(slot):
                secrets_seen[slot.id] = keyring_slot.load(slots.vault_id, slot.id)
                return secrets_seen[slot.id]

            found = _first_unlock(slots, slots.slots_of("keyring", user), secret_for)
            if found is None:
                raise AuthError("This workstation does not remember a key for that user; use the passphrase.")
            keys, slot = found

            def upgrade(vault: "Vault") -> None:
                if slot.format == 1:
                    vault._upgrade_secret_slot(slot, secrets_seen[slot.id])
            return keys, user, slot, upgrade

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
            keys, user_name, slot, upgrade = unwrap(slots, path)
            vault = cls._finish_open(path, keys, slots, lock, user_name=user_name, how=how, slot=slot,
                                     upgrade=upgrade)
        except BaseException:
            lock.release()
            raise
        from app.vault import location

        synced = location.synced_reason(path.parent)
        if synced:
            vault.location_warning = location.warning(path, synced)
            log.warning("vault.location.synced")
        return vault

    @classmethod
    def _finish_open(cls, path: Path, keys: "SlotKeys | bytearray", slots: KeyslotFile, lock: VaultLock,
                     *, user_name: str | None, how: str, slot: Slot | None = None, upgrade=None) -> "Vault":
        if not isinstance(keys, SlotKeys):
            keys = SlotKeys(keys)
        # During an interrupted rekey the slot holds two keys: the database opens with one of them.
        try:
            db = open_database(path, keys.current)
            dek, opened_with_next = keys.current, False
        except VaultDamaged:
            if keys.next is None:
                keys.clear()
                raise
            try:
                db = open_database(path, keys.next)
            except BaseException:
                keys.clear()
                raise
            dek, opened_with_next = keys.next, True
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
            _check_keyslot_file(db, slots, keys.current, slot, path)
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
            keys.clear()
            raise
        # The key the database did not open with is of no further use (or is kept as `dek`).
        other = keys.current if opened_with_next else keys.next
        try:
            reports = unlock_throttle.checked_failures(slots.failed_unlocks, known=set(slots.users()) | {
                RECOVERY_ACTOR, unlock_throttle.UNKNOWN_USER}, created_at=vault.meta("created_at"), now=utc_now())
            with db.transaction():
                if migrated_from is not None:
                    vault.audit("vault.migrated", record_type="vault", record_id=vault.vault_id,
                                reason=f"schema {migrated_from} to {LATEST}")
                for report in reports:
                    vault.audit(report.action, actor=report.actor, at=report.at, reason=report.reason)
            from app.governance import check_may_work

            check_may_work(vault)  # 3.1, 6.4: approval and training, where the policy asks for them
            with db.transaction():
                vault.audit("login", record_type="vault", record_id=vault.vault_id, reason=how)
            changed = unlock_throttle.after_success(slots.failed_unlocks, vault.actor)
            if changed is not None:
                slots.failed_unlocks = changed
                slots.save(keyslot_path(path))
            # Finish what a crash interrupted, then bring the file and the listing into step.
            if opened_with_next:
                vault._finish_rekey()
            elif other is not None:
                vault._apply_rekey(bytearray(other))
            vault._reconcile_keyslots()
            if upgrade is not None:
                upgrade(vault)
            # A rekey that is due (the revocation was committed, the rekey not started: a crash,
            # or a slot of the old format that this unlock may just have upgraded).
            if vault.meta(_REKEY_PENDING):
                vault._rekey_if_possible()
        except BaseException:
            vault.close(record=False)
            raise
        finally:
            crypto.clear(other)
        log.info("vault.unlocked")
        return vault

    # ---- integrity and backups -------------------------------------------------------------

    def verify(self, *, expect: list[tuple[int, str]] | tuple = ()):
        """SQLCipher's page checks, the structure, and the audit chain: from `vault.created`, at
        least as long as the keyslot file recorded at the last lock, holding every `expect` head."""
        from app.roles import require
        from app.vault.verify import verify_database

        if self.user is not None:
            require(self.role, "vault.verify", "verify the vault")
        report = verify_database(self.db, self.audit_key, recorded_seq=self.keyslots.recorded_audit_seq,
                                 expect=expect)
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
    #
    # The database lists the current slots (`meta.keyslots`: the file's generation and each
    # slot's id and digest). Order of every change, so a crash anywhere leaves a pair that opens:
    #   1. list a new slot in the database (committed) before any file holds it;
    #   2. write the keyslot file (generation + 1, its check signed under the data key);
    #   3. list exactly the file's slots and its generation.
    # A rekey adds: 1a. the revoked slots unlisted and `rekey_pending` recorded with the change
    # that revokes; 2a. every slot sealed to the next key as well; 2b. PRAGMA rekey (one SQLite
    # transaction); 2c. the file with only the new key. An unlock finishes whatever was cut short.

    def _listing(self) -> dict:
        return _read_listing(self.db) or {"generation": self.keyslots.generation, "slots": {}}

    def _write_listing(self, generation: int, digests: dict[str, str]) -> None:
        with self.db.transaction():
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('keyslots', ?)",
                            (json.dumps({"generation": generation, "slots": digests}, sort_keys=True),))

    def _list_slots(self, new: list[Slot]) -> None:
        listing = self._listing()
        digests = dict(listing["slots"])
        digests.update({s.id: s.digest() for s in new})
        self._write_listing(int(listing["generation"]), digests)

    def _sign_and_save(self, generation: int) -> None:
        recorded = self.keyslots.recorded_audit_seq
        if self.db.in_transaction and self.keyslots.check is not None:
            # Events of an open transaction may yet be rolled back: keep the head already recorded.
            seq, mac = recorded, self.keyslots.check["audit_mac"]
        else:
            head = self.chain_head()
            seq, mac = max(head.seq, recorded), head.mac
        self.keyslots.sign_check(self._dek, generation=generation, audit_seq=seq, audit_mac=mac)
        self.keyslots.save(self.keyslot_path)

    def save_keyslots(self) -> None:
        """Write the keyslot file and list its slots as the current ones (steps 1 to 3)."""
        listing = self._listing()
        unlisted = [s for s in self.keyslots.slots if listing["slots"].get(s.id) != s.digest()]
        if unlisted:
            self._list_slots(unlisted)
        generation = max(self.keyslots.generation, int(listing["generation"])) + 1
        self._sign_and_save(generation)
        self._write_listing(generation, {s.id: s.digest() for s in self.keyslots.slots})

    def _record_audit_head(self) -> None:
        """At lock: the keyslot file remembers how long the trail was, so a cut is found."""
        listing = _read_listing(self.db)
        if listing is None or self.keyslots.check is None:
            return
        self._sign_and_save(self.keyslots.generation)

    def _reconcile_keyslots(self) -> None:
        """After an unlock: list exactly the file's slots (dropping any the database never
        listed), at the file's generation; an old vault gets its first listing here."""
        listing = _read_listing(self.db)
        if listing is None:
            self._write_listing(self.keyslots.generation, {s.id: s.digest() for s in self.keyslots.slots})
            self._sign_and_save(self.keyslots.generation)
            log.info("vault.keyslots.listed")
            return
        listed = listing["slots"]
        strays = [s for s in self.keyslots.slots if listed.get(s.id) != s.digest()]
        if strays:
            self.keyslots.slots = [s for s in self.keyslots.slots if s not in strays]
            self.audit("keyslots.stale_removed", record_type="vault", record_id=self.vault_id,
                       reason=f"{len(strays)} slot(s) not listed by the vault")
        current = {s.id: s.digest() for s in self.keyslots.slots}
        generation = max(self.keyslots.generation, int(listing["generation"]))
        if strays:
            self._sign_and_save(generation + 1)
            generation += 1
        if current != listed or generation != int(listing["generation"]):
            self._write_listing(generation, current)

    def add_passphrase_slot(self, user: str, passphrase: str, kdf=None) -> Slot:
        """A new slot for `user`, listed in the database at once (not yet in the file)."""
        slot = self.keyslots.add_passphrase_slot(user, passphrase, self._dek, kdf or default_kdf())
        if not self.db.in_transaction:
            self._list_slots([slot])
        return slot

    def replace_passphrase_slot(self, user: str, passphrase: str, kdf=None) -> None:
        """Rewrap the key for `user` under a new passphrase; the database is not rekeyed."""
        old = self.keyslots.slots_of("passphrase", user)
        self.add_passphrase_slot(user, passphrase, kdf)
        self.keyslots.slots = [s for s in self.keyslots.slots if s not in old]

    def remove_user_slots(self, user: str) -> list[Slot]:
        removed = self.keyslots.remove_user_slots(user)
        for slot in removed:
            if slot.kind == "keyring":
                _forget_keyring(self.keyslots.vault_id, slot.id)
        return removed

    def _upgrade_passphrase_slot(self, slot: Slot, passphrase: str) -> None:
        """A scrypt or format-1 slot becomes an Argon2id format-2 slot at its user's unlock."""
        try:
            new = self.keyslots.add_passphrase_slot(slot.user, passphrase, self._dek, default_kdf())
            self._list_slots([new])
            self.keyslots.slots = [s for s in self.keyslots.slots if s is not slot]
            self.save_keyslots()
        except (OSError, SpocError):
            log.warning("vault.keyslot.upgrade_failed")  # the old slot still opens; next time
            return
        self.audit("keyslot.upgraded", record_type="user", record_id=self.user.id if self.user else None,
                   reason="argon2id")

    def _upgrade_secret_slot(self, slot: Slot, secret: bytes) -> None:
        try:
            extra = dict(slot.extra)
            new = self.keyslots.add_secret_slot(slot.kind, slot.user, secret, self._dek, **extra)
            if slot.kind == "keyring":
                keyring_slot.store(self.keyslots.vault_id, new.id, secret)
            self._list_slots([new])
            self.keyslots.slots = [s for s in self.keyslots.slots if s is not slot]
            self.save_keyslots()
            if slot.kind == "keyring":
                _forget_keyring(self.keyslots.vault_id, slot.id)
        except (OSError, SpocError):
            log.warning("vault.keyslot.upgrade_failed")
            return
        self.audit("keyslot.upgraded", record_type="vault", record_id=self.vault_id, reason=slot.kind)

    # ---- rekeying: a new data key, every remaining slot resealed ---------------------------------

    def revoke_slots(self, slots: list[Slot], reason: str) -> None:
        """Step 1a: unlist `slots` and record that a rekey is due; call it inside the transaction
        of the change that revokes (disable, reset, new recovery key), then call `rekey()`."""
        if reason not in REKEY_REASONS:
            raise ValueError(reason)
        gone = {s.id for s in slots}
        self.keyslots.slots = [s for s in self.keyslots.slots if s.id not in gone]
        listing = self._listing()
        with self.db.transaction():
            self._write_listing(int(listing["generation"]),
                                {k: v for k, v in listing["slots"].items() if k not in gone})
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_REKEY_PENDING, reason))
            if self.meta(_CHAIN_KEY) is None:
                # The chain key survives rekeys: kept (encrypted) in the vault from the first one.
                self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_CHAIN_KEY, self.audit_key.hex()))

    def rekey_blockers(self) -> list[str]:
        """Slots still of format 1 (not unlocked since the upgrade) cannot be resealed."""
        return sorted({s.user or s.kind for s in self.keyslots.slots if s.format == 1})

    def rekey(self) -> None:
        """Steps 2a to 3: a new data key for the database, sealed to every remaining slot."""
        blockers = self.rekey_blockers()
        if blockers:
            self.save_keyslots()  # the revoked slots leave the file all the same
            raise RekeyBlocked(
                "The vault was not rekeyed: the slot(s) of " + ", ".join(blockers) + " are of the old "
                "format and can only be upgraded when they are next used; ask them to sign in once "
                "(or use the recovery key once), then rekey again."
            )
        if self.meta(_CHAIN_KEY) is None:
            with self.db.transaction():
                self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_CHAIN_KEY, self.audit_key.hex()))
        new = crypto.new_data_key()
        for slot in self.keyslots.slots:
            self.keyslots.reseal(slot, new, next_key=True)
        self._sign_and_save(max(self.keyslots.generation, int(self._listing()["generation"])) + 1)
        self._apply_rekey(new)

    def _apply_rekey(self, new: bytearray) -> None:
        started = time.monotonic()
        self.db.rekey(new)
        old, self._dek = self._dek, new
        crypto.clear(old)
        self._finish_rekey(seconds=time.monotonic() - started)

    def _finish_rekey(self, seconds: float | None = None) -> None:
        for slot in self.keyslots.slots:
            if slot.sealed_next is not None:
                slot.sealed, slot.sealed_next = slot.sealed_next, None
        reason = self.meta(_REKEY_PENDING) or "rekey"
        self.save_keyslots()
        with self.db.transaction():
            self.db.execute("DELETE FROM meta WHERE key = ?", (_REKEY_PENDING,))
            self.audit("vault.rekeyed", record_type="vault", record_id=self.vault_id, reason=reason)
        log.info("vault.rekeyed")
        self.last_rekey_seconds = seconds

    def _rekey_if_possible(self) -> None:
        try:
            self.rekey()
        except RekeyBlocked:
            log.warning("vault.rekey.blocked")

    def new_recovery_key(self) -> str:
        """Replace the recovery slot and rekey: the old recovery key, even with an old copy of
        the keyslot file, opens nothing written afterwards."""
        from app.roles import require

        if self.user is not None:
            require(self.role, "users.manage", "replace the recovery key")
        secret = recovery.new_recovery_secret()
        new = self.keyslots.add_secret_slot("recovery", None, secret, self._dek)
        self._list_slots([new])
        old = [s for s in self.keyslots.slots if s.kind == "recovery" and s is not new]
        self.save_keyslots()
        with self.db.transaction():
            self.audit("recovery_key.issued", record_type="vault", record_id=self.vault_id)
            self.revoke_slots(old, "recovery-key-replaced")
        self._rekey_if_possible()
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
                    self._record_audit_head()
                except (SpocError, OSError, MemoryError):
                    # A full or damaged disk must not stop the lock itself (SQLite's "out of
                    # memory" is how SQLCipher ends a write after a page failed its check), nor
                    # hide the error that brought the close.
                    pass
        finally:
            self.db.close()
            crypto.clear(self._dek)
            self.audit_key = b""
            self._lock.release()
            from app.governance import deactivate_if

            deactivate_if(self.agreement)
            log.info("vault.locked")

    def __enter__(self) -> "Vault":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _first_unlock(slots: KeyslotFile, candidates: list[Slot], secret_for) -> tuple[SlotKeys, Slot] | None:
    """The keys from the first candidate slot whose secret opens it, and that slot."""
    for slot in candidates:
        secret = secret_for(slot)
        if secret is None:
            continue
        try:
            return slots.unlock_with_secret(slot, secret), slot
        except crypto.UnwrapError:
            continue
    return None


def _refuse_while_throttled(slots: KeyslotFile, user: str) -> None:
    """The per-user wait after repeated failures, for every caller (desktop and CLI alike)."""
    wait = unlock_throttle.seconds_left_for(slots.failed_unlocks, user, utc_now())
    if wait > 0:
        raise unlock_throttle.Throttled(wait)


def _read_listing(db: Database) -> dict | None:
    raw = db.scalar("SELECT value FROM meta WHERE key = 'keyslots'")
    if raw is None:
        return None
    try:
        listing = json.loads(raw)
        if not (isinstance(listing, dict) and type(listing.get("generation")) is int
                and isinstance(listing.get("slots"), dict)):
            raise ValueError
    except ValueError:
        raise VaultDamaged("The vault's list of current keyslots is damaged; restore from a backup.") from None
    return listing


def _check_keyslot_file(db: Database, slots: KeyslotFile, dek: bytearray, used: Slot | None, path: Path) -> None:
    """A slot the vault does not list, or a keyslot file older than the vault, opens nothing."""
    listing = _read_listing(db)
    if listing is None:
        return  # a vault from before slot listings: listed at this unlock
    name = keyslot_path(path).name

    def out_of_date(why: str) -> VaultDamaged:
        log.warning("vault.keyslots.out_of_date")
        return VaultDamaged(OUT_OF_DATE.format(name=name, why=why))

    if used is not None and listing["slots"].get(used.id) != used.digest():
        raise out_of_date("the slot used is not one the vault lists as current")
    if not slots.check_is_valid(dek):
        raise out_of_date("its check does not match the vault (an older or altered copy)")
    if slots.generation < int(listing["generation"]):
        raise out_of_date("an older copy of it was put back")


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
