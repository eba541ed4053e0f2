"""Encrypted online backups in one file that carries what is needed to open it.

A backup file is a short JSON header (format, vault id, schema, size and SHA-256 of the database
image, and the keyslots) followed by the encrypted database image taken with SQLite's online
backup API, never by copying the live file. Every working file made on the way is encrypted;
a backup is verified before it is reported done, and so is a restore.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from app import audit
from app.files import open_private
from app.errors import AuthError, InvalidInput, VaultDamaged
from app.timeutil import utc_now_iso
from app.vault import crypto
from app.vault.connection import Database, open_database
from app.vault.keyslots import KeyslotFile, keyslot_path
from app.vault.lockfile import VaultLock
from app.vault.verify import verify_database

log = logging.getLogger(__name__)

MAGIC = b"SPOCDESK-BACKUP\n"
FORMAT = "spocdesk-backup/1"
_MAX_HEADER = 4 * 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    vault_id: str
    created_at: str
    schema: int
    db_size: int
    audit_events: int
    audit_head: str


def _partial(near: Path, label: str) -> Path:
    return near.with_name(f".{near.name}.{label}-{secrets.token_hex(4)}.partial")


@contextmanager
def _scratch(path: Path) -> Iterator[Path]:
    """An encrypted working file beside the destination, removed whatever happens."""
    try:
        yield path
    finally:
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + extra).unlink(missing_ok=True)


def _check_destination(dest: Path) -> None:
    if dest.exists():
        raise InvalidInput(f"{dest} already exists; choose a new file name for the backup.")
    if not dest.parent.is_dir():
        raise InvalidInput(f"The folder {dest.parent} does not exist.")


def write_backup(source: Database, dek: bytearray, slots: KeyslotFile, dest: Path, *, schema: int) -> BackupInfo:
    dest = Path(dest)
    _check_destination(dest)
    with _scratch(_partial(dest, "image")) as image, _scratch(_partial(dest, "file")) as assembled:
        # A second connection reads one consistent snapshot (WAL), so writers carry on meanwhile.
        reader = open_database(source.path, dek)
        try:
            target = open_database(image, dek, create=True, journal_mode="DELETE")
            try:
                reader.raw_backup_to(target)
            finally:
                target.close()
        finally:
            reader.close()
        digest = hashlib.sha256()
        size = 0
        with open(image, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        header = {
            "format": FORMAT,
            "vault_id": slots.vault_id,
            "created_at": utc_now_iso(),
            "schema": schema,
            "db_size": size,
            "db_sha256": digest.hexdigest(),
            # The slots valid now (and the file's check): keyring slots stay behind, their
            # secret lives on this workstation only; failed unlocks belong to the live file.
            "keyslots": {**slots.to_json(leave_out_kinds=("keyring",)), "failed_unlocks": []},
        }
        header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
        fd = open_private(assembled)
        with os.fdopen(fd, "wb") as out, open(image, "rb") as src:
            out.write(MAGIC)
            out.write(len(header_bytes).to_bytes(4, "big"))
            out.write(header_bytes)
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        info = verify_backup(assembled, dek)
        os.replace(assembled, dest)
    log.info("vault.backup.written")
    return BackupInfo(dest, info.vault_id, info.created_at, info.schema, info.db_size,
                      info.audit_events, info.audit_head)


def read_header(path: Path) -> tuple[dict, int]:
    """The backup's header and the offset of its database image."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise InvalidInput(f"{path.name} is not a SPOC Desk backup file.")
            length = int.from_bytes(handle.read(4), "big")
            if not 0 < length <= _MAX_HEADER:
                raise VaultDamaged(f"The backup {path.name} is damaged (bad header length).")
            raw = handle.read(length)
    except FileNotFoundError:
        raise InvalidInput(f"There is no backup file at {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; give the backup file inside it.") from None
    except PermissionError:
        raise InvalidInput(f"You may not read {path}; check the file's permissions.") from None
    try:
        header = json.loads(raw.decode("utf-8"))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError("format")
        int(header["db_size"]), str(header["db_sha256"]), dict(header["keyslots"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise VaultDamaged(f"The backup {path.name} is damaged (its header cannot be read).") from exc
    return header, len(MAGIC) + 4 + length


def _extract_image(path: Path, header: dict, offset: int, out_path: Path) -> None:
    expected = int(header["db_size"])
    digest = hashlib.sha256()
    written = 0
    fd = open_private(out_path)
    with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
        src.seek(offset)
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            digest.update(chunk)
            written += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if written != expected or digest.hexdigest() != header["db_sha256"]:
        raise VaultDamaged(f"The backup {path.name} is damaged or truncated (its checksum does not match).")


def _extract_verified(path: Path, header: dict, offset: int, image: Path, dek: bytearray):
    """Extract the image to `image` and check it with the key; VaultDamaged if anything fails."""
    _extract_image(path, header, offset, image)
    db = open_database(image, dek, journal_mode="DELETE")
    try:
        report = verify_database(db, audit.chain_key(db, dek))
    finally:
        db.close()
    if not report.ok:
        raise VaultDamaged(f"The backup {path.name} failed verification: {'; '.join(report.problems)}.")
    return report


def verify_backup(path: Path, dek: bytearray) -> BackupInfo:
    """Check a backup file opens with this key and passes every integrity check."""
    header, offset = read_header(path)
    with _scratch(_partial(path, "verify")) as image:
        report = _extract_verified(path, header, offset, image, dek)
    return BackupInfo(path, str(header["vault_id"]), str(header["created_at"]), int(header["schema"]),
                      int(header["db_size"]), report.chain.events, report.chain.head.short())


def restore_backup(backup: Path, vault_path: Path, *, user: str, passphrase: str):
    """Restore to a new path, verify it, and return it opened for `user`."""
    from app.vault.vault import Vault, WRONG_CREDENTIALS

    backup, vault_path = Path(backup), Path(vault_path)
    slots_path = keyslot_path(vault_path)
    if vault_path.exists() or slots_path.exists():
        raise InvalidInput(f"{vault_path} already exists; restore to a new file name.")
    if not vault_path.parent.is_dir():
        raise InvalidInput(f"The folder {vault_path.parent} does not exist.")
    header, offset = read_header(backup)
    slots = KeyslotFile.from_json(header["keyslots"], f"The keyslot list in the backup {backup.name}")
    slot = slots.passphrase_slot(user)
    if slot is None:
        raise AuthError(WRONG_CREDENTIALS)
    try:
        dek = slots.unwrap_with_passphrase(slot, passphrase)
    except crypto.UnwrapError:
        raise AuthError(WRONG_CREDENTIALS) from None

    lock = VaultLock(vault_path)
    lock.acquire()
    placed = False
    try:
        with _scratch(_partial(vault_path, "image")) as image:
            _extract_verified(backup, header, offset, image, dek)
            placed = True
            slots.save(slots_path)
            os.replace(image, vault_path)
        vault = Vault._finish_open(vault_path, dek, slots, lock, user_name=slot.user, how="restore", slot=slot)
    except BaseException:
        if placed:  # leave nothing half-restored behind
            for leftover in (slots_path, vault_path, Path(f"{vault_path}-wal"), Path(f"{vault_path}-shm")):
                leftover.unlink(missing_ok=True)
        crypto.clear(dek)
        lock.release()
        raise
    vault.audit("vault.restored", record_type="vault", record_id=vault.vault_id,
                reason=f"from a backup taken {header['created_at']}")
    log.info("vault.restored")
    return vault
