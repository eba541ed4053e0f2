"""The keyslot file kept beside a vault (`VAULT.keys`), LUKS-style.

Each slot holds the vault's data key wrapped with AES-256-GCM. The associated data binds a slot
to its vault, its id, its kind and its user, so a slot cannot be moved to another user or vault.
The file holds no personal data of any subject: user names, KDF parameters and ciphertext only,
plus a short list of failed unlocks (user name and time) waiting to be written to the audit trail
at the next successful unlock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import VaultDamaged
from app.timeutil import utc_now_iso
from app.vault import crypto

FORMAT = "spocdesk-keyslots/1"
KINDS = ("passphrase", "recovery", "keyring")
_DAMAGED_SLOT = "A keyslot in the keyslot file is damaged; restore it from a backup."
_MAX_PENDING_FAILURES = 1000


def keyslot_path(vault_path: Path) -> Path:
    return vault_path.with_name(vault_path.name + ".keys")


@dataclass
class Slot:
    id: str
    kind: str
    user: str | None
    kdf: dict
    nonce: str
    wrapped: str
    created_at: str
    extra: dict = field(default_factory=dict)

    def aad(self, vault_id: str) -> bytes:
        return f"spocdesk-keyslot/1|{vault_id}|{self.id}|{self.kind}|{self.user or ''}".encode()

    def to_json(self) -> dict:
        data = {
            "id": self.id,
            "kind": self.kind,
            "user": self.user,
            "kdf": self.kdf,
            "nonce": self.nonce,
            "wrapped": self.wrapped,
            "created_at": self.created_at,
        }
        data.update(self.extra)
        return data


@dataclass
class KeyslotFile:
    vault_id: str
    slots: list[Slot] = field(default_factory=list)
    failed_unlocks: list[dict] = field(default_factory=list)

    # ---- reading and writing -------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> "KeyslotFile":
        if not path.exists():
            raise VaultDamaged(
                f"The keyslot file {path.name} is missing beside the vault; restore it from a backup."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise VaultDamaged(f"The keyslot file {path.name} is damaged; restore it from a backup.") from exc
        return cls.from_json(data, f"The keyslot file {path.name}")

    @classmethod
    def from_json(cls, data, source: str) -> "KeyslotFile":
        try:
            _expect(isinstance(data, dict) and data.get("format") == FORMAT)
            _expect(isinstance(data.get("vault_id"), str) and isinstance(data.get("slots"), list))
            slots = [_slot_from_json(raw) for raw in data["slots"]]
            failures = data.get("failed_unlocks", [])
            _expect(isinstance(failures, list))
            for failure in failures:
                _expect(isinstance(failure, dict) and isinstance(failure.get("user"), str)
                        and isinstance(failure.get("at"), str))
            return cls(vault_id=data["vault_id"], slots=slots, failed_unlocks=failures)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise VaultDamaged(f"{source} is damaged; restore it from a backup.") from exc

    def save(self, path: Path) -> None:
        """Atomic replace: a crash leaves the old file or the new one, never half of one."""
        data = {
            "format": FORMAT,
            "vault_id": self.vault_id,
            "slots": [slot.to_json() for slot in self.slots],
            "failed_unlocks": self.failed_unlocks[-_MAX_PENDING_FAILURES:],
        }
        text = json.dumps(data, indent=2, ensure_ascii=False)
        tmp = path.with_name(f"{path.name}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    # ---- slots ---------------------------------------------------------------------------

    def passphrase_slot(self, user: str) -> Slot | None:
        wanted = user.casefold()
        for slot in self.slots:
            if slot.kind == "passphrase" and (slot.user or "").casefold() == wanted:
                return slot
        return None

    def slots_of(self, kind: str, user: str | None = None) -> list[Slot]:
        return [
            s
            for s in self.slots
            if s.kind == kind and (user is None or (s.user or "").casefold() == user.casefold())
        ]

    def users(self) -> list[str]:
        return sorted({s.user for s in self.slots if s.kind == "passphrase" and s.user}, key=str.casefold)

    def remove_user_slots(self, user: str) -> list[Slot]:
        removed = [s for s in self.slots if (s.user or "").casefold() == user.casefold()]
        self.slots = [s for s in self.slots if s not in removed]
        return removed

    def add_passphrase_slot(
        self, user: str, passphrase: str, dek: bytearray, params: crypto.ScryptParams
    ) -> Slot:
        salt = os.urandom(crypto.SALT_BYTES)  # the CSPRNG behind `secrets`, without its imports
        key = crypto.derive_from_passphrase(passphrase, salt, params)
        return self._add("passphrase", user, params.as_dict(salt), key, dek)

    def add_secret_slot(self, kind: str, user: str | None, secret: bytes, dek: bytearray, **extra) -> Slot:
        salt = os.urandom(crypto.SALT_BYTES)  # the CSPRNG behind `secrets`, without its imports
        key = crypto.derive_from_secret(secret, salt, info=f"spocdesk {kind} slot".encode())
        return self._add(kind, user, {"name": "hkdf-sha256", "salt": crypto.b64(salt)}, key, dek, extra)

    def _add(self, kind, user, kdf, wrapping_key, dek, extra=None) -> Slot:
        import uuid  # here, not at the top: the unlock screen only reads slots

        slot = Slot(
            id=str(uuid.uuid4()),
            kind=kind,
            user=user,
            kdf=kdf,
            nonce="",
            wrapped="",
            created_at=utc_now_iso(),
            extra=dict(extra or {}),
        )
        nonce, wrapped = crypto.wrap(wrapping_key, dek, slot.aad(self.vault_id))
        slot.nonce, slot.wrapped = crypto.b64(nonce), crypto.b64(wrapped)
        self.slots.append(slot)
        return slot

    def unwrap_with_passphrase(self, slot: Slot, passphrase: str) -> bytearray:
        kdf = slot.kdf
        try:
            if kdf.get("name") != "scrypt":
                raise ValueError(kdf.get("name"))
            params = crypto.ScryptParams(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
            key = crypto.derive_from_passphrase(passphrase, crypto.unb64(kdf["salt"]), params)
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultDamaged(_DAMAGED_SLOT) from exc
        return self._unwrap(slot, key)

    def unwrap_with_secret(self, slot: Slot, secret: bytes) -> bytearray:
        try:
            salt = crypto.unb64(slot.kdf["salt"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultDamaged(_DAMAGED_SLOT) from exc
        key = crypto.derive_from_secret(secret, salt, info=f"spocdesk {slot.kind} slot".encode())
        return self._unwrap(slot, key)

    def _unwrap(self, slot: Slot, key: bytes) -> bytearray:
        try:
            nonce, wrapped = crypto.unb64(slot.nonce), crypto.unb64(slot.wrapped)
            _expect(len(nonce) == crypto.NONCE_BYTES and len(wrapped) == crypto.DEK_BYTES + 16)
        except ValueError as exc:
            raise VaultDamaged(_DAMAGED_SLOT) from exc
        try:
            return crypto.unwrap(key, nonce, wrapped, slot.aad(self.vault_id))
        except crypto.MalformedSlot as exc:
            raise VaultDamaged(_DAMAGED_SLOT) from exc

    # ---- failed unlocks, kept until they can be written to the audit trail ----------------

    def note_failed_unlock(self, user: str) -> None:
        # Only names that have a slot are kept: a passphrase typed into the user-name box by
        # mistake must not land in this unencrypted file or in the audit trail.
        known = any((s.user or "").casefold() == user.casefold() for s in self.slots) or user == "recovery-key"
        self.failed_unlocks.append({"user": user if known else "(unknown user)", "at": utc_now_iso()})

    def recent_failures(self, user: str) -> int:
        return sum(1 for f in self.failed_unlocks if str(f.get("user", "")).casefold() == user.casefold())


def _expect(condition: bool) -> None:
    if not condition:
        raise ValueError("keyslot file field of the wrong shape")


_SLOT_FIELDS = ("id", "kind", "user", "kdf", "nonce", "wrapped", "created_at")


def _slot_from_json(raw) -> Slot:
    _expect(isinstance(raw, dict))
    _expect(all(isinstance(raw.get(k), str) for k in ("id", "kind", "nonce", "wrapped", "created_at")))
    _expect(raw["kind"] in KINDS and isinstance(raw.get("kdf"), dict))
    _expect(raw.get("user") is None or isinstance(raw["user"], str))
    _expect(raw["kind"] == "recovery" or isinstance(raw.get("user"), str))
    return Slot(
        id=raw["id"], kind=raw["kind"], user=raw.get("user"), kdf=dict(raw["kdf"]), nonce=raw["nonce"],
        wrapped=raw["wrapped"], created_at=raw["created_at"],
        extra={k: v for k, v in raw.items() if k not in _SLOT_FIELDS},
    )


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
