"""The keyslot file kept beside a vault (`VAULT.keys`), LUKS-style.

Each slot (format 2) holds an X25519 private key wrapped with AES-256-GCM under the key its
passphrase, recovery key or keyring secret derives, and the vault's data key sealed to the slot's
public key; during a rekey it briefly holds the next data key too (`sealed_next`), so a crash at
any point leaves a file that opens the vault with the old key or the new one. Format-1 slots hold
the data key wrapped directly; they still open and are upgraded at their next unlock. The
associated data binds a slot to its vault, its id, its kind and its user, so a slot cannot be
moved to another user or vault.

The file's `check` is an HMAC under a key derived from the data key over the vault id, the
file's generation (raised at every change of its slots) and the audit head at the last lock: the
encrypted database records the generation and the current slots (id and hash), so a keyslot file
rolled back to an earlier state, or a slot it does not list, opens nothing.
The file holds no personal data of any subject: user names, KDF parameters and ciphertext only,
plus a short list of failed unlocks (user name and time) waiting to be written to the audit trail
at the next successful unlock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.files import open_private
from app.errors import VaultDamaged
from app.timeutil import utc_now_iso
from app.vault import crypto

FORMAT = "spocdesk-keyslots/1"
KINDS = ("passphrase", "recovery", "keyring")
_DAMAGED_SLOT = "A keyslot in the keyslot file is damaged; restore it from a backup."
_MAX_PENDING_FAILURES = 1000
OUT_OF_DATE = (
    "The keyslot file {name} is out of date: {why}. It opens nothing; put back the current "
    "keyslot file, or restore the vault from a backup."
)


class SlotKeys:
    """What unlocking one slot gave: the data key, and the next one during an interrupted rekey."""

    def __init__(self, current: bytearray, next_key: bytearray | None = None):
        self.current = current
        self.next = next_key

    def clear(self) -> None:
        crypto.clear(self.current)
        crypto.clear(self.next)


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
    public: str | None = None          # format 2: the slot's X25519 public key
    sealed: dict | None = None         # format 2: the data key sealed to `public`
    sealed_next: dict | None = None    # only during a rekey: the next data key

    @property
    def format(self) -> int:
        return 2 if self.public else 1

    def aad(self, vault_id: str) -> bytes:
        return f"spocdesk-keyslot/1|{vault_id}|{self.id}|{self.kind}|{self.user or ''}".encode()

    def seal_aad(self, vault_id: str) -> bytes:
        return self.aad(vault_id) + b"|data key"

    def digest(self) -> str:
        """What the database lists for this slot: its id, owner and credential (not the sealed
        data key, which a rekey replaces)."""
        import hashlib  # here: the unlock screen reads the slots before OpenSSL's hashes load

        fields = [self.id, self.kind, self.user, self.kdf, self.nonce, self.wrapped, self.public]
        return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

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
        if self.public:
            data["public"] = self.public
            data["sealed"] = self.sealed
            if self.sealed_next:
                data["sealed_next"] = self.sealed_next
        data.update(self.extra)
        return data


@dataclass
class KeyslotFile:
    vault_id: str
    slots: list[Slot] = field(default_factory=list)
    failed_unlocks: list[dict] = field(default_factory=list)
    check: dict | None = None  # {"generation", "audit_seq", "audit_mac", "mac"}; None in old files

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
            check = data.get("check")
            if check is not None:
                _expect(isinstance(check, dict) and type(check.get("generation")) is int
                        and type(check.get("audit_seq")) is int and isinstance(check.get("audit_mac"), str)
                        and isinstance(check.get("mac"), str))
            return cls(vault_id=data["vault_id"], slots=slots, failed_unlocks=failures, check=check)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise VaultDamaged(f"{source} is damaged; restore it from a backup.") from exc

    def to_json(self, *, leave_out_kinds: tuple[str, ...] = ()) -> dict:
        data = {
            "format": FORMAT,
            "vault_id": self.vault_id,
            "slots": [slot.to_json() for slot in self.slots if slot.kind not in leave_out_kinds],
            "failed_unlocks": self.failed_unlocks[-_MAX_PENDING_FAILURES:],
        }
        if self.check is not None:
            data["check"] = dict(self.check)
        return data

    def save(self, path: Path) -> None:
        """Atomic replace: a crash leaves the old file or the new one, never half of one."""
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False)
        tmp = path.with_name(f"{path.name}.{os.urandom(4).hex()}.tmp")
        fd = open_private(tmp)
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

    # ---- the check: generation and audit head, authenticated under the data key -------------

    @property
    def generation(self) -> int:
        return int(self.check["generation"]) if self.check else 0

    @property
    def recorded_audit_seq(self) -> int:
        return int(self.check["audit_seq"]) if self.check else 0

    def _check_message(self, generation: int, audit_seq: int, audit_mac: str) -> bytes:
        return json.dumps(["spocdesk-keyslot-check/1", self.vault_id, generation, audit_seq, audit_mac],
                          separators=(",", ":")).encode()

    def sign_check(self, dek: bytes | bytearray, *, generation: int, audit_seq: int, audit_mac: str) -> None:
        tag = crypto.mac(crypto.keyslot_check_key(dek), self._check_message(generation, audit_seq, audit_mac))
        self.check = {"generation": generation, "audit_seq": audit_seq, "audit_mac": audit_mac, "mac": tag.hex()}

    def check_is_valid(self, dek: bytes | bytearray) -> bool:
        import hmac

        if self.check is None:
            return False
        c = self.check
        tag = crypto.mac(crypto.keyslot_check_key(dek),
                         self._check_message(c["generation"], c["audit_seq"], c["audit_mac"]))
        return hmac.compare_digest(tag.hex(), str(c["mac"]))

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

    def add_passphrase_slot(self, user: str, passphrase: str, dek: bytearray,
                            params: "crypto.Argon2Params | crypto.ScryptParams | None" = None,
                            next_dek: bytearray | None = None) -> Slot:
        params = params or crypto.default_argon2()
        salt = os.urandom(crypto.SALT_BYTES)  # the CSPRNG behind `secrets`, without its imports
        key = crypto.derive_from_passphrase(passphrase, salt, params)
        return self._add("passphrase", user, params.as_dict(salt), key, dek, next_dek=next_dek)

    def add_secret_slot(self, kind: str, user: str | None, secret: bytes, dek: bytearray,
                        next_dek: bytearray | None = None, **extra) -> Slot:
        salt = os.urandom(crypto.SALT_BYTES)  # the CSPRNG behind `secrets`, without its imports
        key = crypto.derive_from_secret(secret, salt, info=f"spocdesk {kind} slot".encode())
        return self._add(kind, user, {"name": "hkdf-sha256", "salt": crypto.b64(salt)}, key, dek, extra,
                         next_dek=next_dek)

    def _add(self, kind, user, kdf, wrapping_key, dek, extra=None, *, next_dek=None) -> Slot:
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
        private, public = crypto.new_slot_key_pair()
        nonce, wrapped = crypto.wrap(wrapping_key, private, slot.aad(self.vault_id))
        slot.nonce, slot.wrapped, slot.public = crypto.b64(nonce), crypto.b64(wrapped), crypto.b64(public)
        self.reseal(slot, dek)
        if next_dek is not None:
            self.reseal(slot, next_dek, next_key=True)
        self.slots.append(slot)
        return slot

    def reseal(self, slot: Slot, dek: bytes | bytearray, *, next_key: bool = False) -> None:
        """Seal a data key to a format-2 slot: needs only its public key, never its passphrase."""
        sealed = crypto.seal(crypto.unb64(slot.public), dek, slot.seal_aad(self.vault_id))
        if next_key:
            slot.sealed_next = sealed
        else:
            slot.sealed = sealed

    def passphrase_key(self, slot: Slot, passphrase: str) -> bytes:
        """The slot's wrapping key derived from a passphrase (the slow step)."""
        try:
            params = crypto.params_from_kdf(slot.kdf)
            salt = crypto.unb64(slot.kdf["salt"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultDamaged(_DAMAGED_SLOT) from exc
        return crypto.derive_from_passphrase(passphrase, salt, params)

    def secret_key(self, slot: Slot, secret: bytes) -> bytes:
        try:
            salt = crypto.unb64(slot.kdf["salt"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VaultDamaged(_DAMAGED_SLOT) from exc
        return crypto.derive_from_secret(secret, salt, info=f"spocdesk {slot.kind} slot".encode())

    def unlock_with_passphrase(self, slot: Slot, passphrase: str) -> SlotKeys:
        """UnwrapError for a wrong passphrase; VaultDamaged for a slot of the wrong shape."""
        return self.open_slot(slot, self.passphrase_key(slot, passphrase))

    def unlock_with_secret(self, slot: Slot, secret: bytes) -> SlotKeys:
        return self.open_slot(slot, self.secret_key(slot, secret))

    def unwrap_with_passphrase(self, slot: Slot, passphrase: str) -> bytearray:
        """The current data key (backups and restores, which are never taken mid-rekey)."""
        keys = self.unlock_with_passphrase(slot, passphrase)
        crypto.clear(keys.next)
        return keys.current

    def unwrap_with_secret(self, slot: Slot, secret: bytes) -> bytearray:
        keys = self.unlock_with_secret(slot, secret)
        crypto.clear(keys.next)
        return keys.current

    def open_slot(self, slot: Slot, key: bytes) -> SlotKeys:
        inner = self._unwrap(slot, key)
        if slot.format == 1:
            return SlotKeys(inner)
        try:
            public = crypto.unb64(slot.public)
            aad = slot.seal_aad(self.vault_id)
            _expect(isinstance(slot.sealed, dict))
            current = crypto.unseal(inner, public, slot.sealed, aad)
            following = crypto.unseal(inner, public, slot.sealed_next, aad) if slot.sealed_next else None
        except (ValueError, crypto.MalformedSlot, crypto.UnwrapError) as exc:
            # The private key unwrapped, so the passphrase was right: the slot itself is altered.
            raise VaultDamaged(_DAMAGED_SLOT) from exc
        finally:
            crypto.clear(inner)
        return SlotKeys(current, following)

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


_SLOT_FIELDS = ("id", "kind", "user", "kdf", "nonce", "wrapped", "created_at", "public", "sealed", "sealed_next")


def _slot_from_json(raw) -> Slot:
    _expect(isinstance(raw, dict))
    _expect(all(isinstance(raw.get(k), str) for k in ("id", "kind", "nonce", "wrapped", "created_at")))
    _expect(raw["kind"] in KINDS and isinstance(raw.get("kdf"), dict))
    _expect(raw.get("user") is None or isinstance(raw["user"], str))
    _expect(raw["kind"] == "recovery" or isinstance(raw.get("user"), str))
    public = raw.get("public")
    _expect(public is None or (isinstance(public, str) and isinstance(raw.get("sealed"), dict)))
    for key in ("sealed", "sealed_next"):
        box = raw.get(key)
        _expect(box is None or (isinstance(box, dict) and all(isinstance(box.get(k), str) for k in ("epk", "nonce", "ct"))))
    return Slot(
        id=raw["id"], kind=raw["kind"], user=raw.get("user"), kdf=dict(raw["kdf"]), nonce=raw["nonce"],
        wrapped=raw["wrapped"], created_at=raw["created_at"],
        extra={k: v for k, v in raw.items() if k not in _SLOT_FIELDS},
        public=public, sealed=raw.get("sealed") if public else None,
        sealed_next=raw.get("sealed_next") if public else None,
    )


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
