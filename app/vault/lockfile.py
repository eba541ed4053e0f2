"""One process per vault: an OS file lock on `VAULT.lock`.

The operating system releases the lock when its process dies, so a lock file left behind by a
crash is recognised as stale (its lock can be taken) and recovered without asking anyone.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

from app.errors import InvalidInput, VaultBusy

log = logging.getLogger(__name__)

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(vault_path: Path) -> Path:
    return vault_path.with_name(vault_path.name + ".lock")


# Never follow a link planted at the lock file's name: the lock is truncated and written, and a
# link would make that empty whatever file it points at.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _not_a_lock(path: Path) -> InvalidInput:
    return InvalidInput(f"{path.name} beside the vault is not a plain lock file (a link, a folder or a "
                        "device was put there); nothing was changed. Remove it and try again.")


def _open_lock(path: Path, flags: int) -> int:
    """Open the lock file without following links, and only if it is a regular file."""
    if not _NOFOLLOW and path.is_symlink():  # pragma: no cover - systems without O_NOFOLLOW
        raise _not_a_lock(path)
    try:
        fd = os.open(path, flags | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        if path.is_symlink() or path.is_dir():
            raise _not_a_lock(path) from None
        raise exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_lock(path)
    return fd


class VaultLock:
    def __init__(self, vault_path: Path):
        self.path = lock_path(vault_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        for _ in range(5):
            fd = _open_lock(self.path, os.O_RDWR | os.O_CREAT)
            if not _try_lock(fd):
                holder = _read_holder(fd)
                os.close(fd)
                raise VaultBusy(_busy_text(holder))
            # The file may have been removed and recreated by its last holder between our open
            # and our lock: then we hold a lock on an orphan and must try again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            stale = os.fstat(fd).st_size > 0
            if stale:
                log.info("vault.lock.stale_recovered")
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": _host_name()}).encode())
            os.fsync(fd)
            self._fd = fd
            return
        raise VaultBusy("Could not take the vault's lock file; try again.")

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # Unlink while still holding the lock, so no one else can lock the old file.
            self.path.unlink(missing_ok=True)
            _unlock(fd)
        finally:
            os.close(fd)


def _host_name() -> str:
    """This machine's name, as socket.gethostname() gives it; without loading the socket module
    where the system can say it (the unlock screen checks the lock before it shows)."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return uname().nodename
    import socket

    return socket.gethostname()


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096) or b"{}")
        pid, host = int(info["pid"]), str(info["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if host == _host_name():
        return f" window (process {pid})"
    return f" window on {host} (process {pid})"


def _busy_text(holder: str) -> str:
    return f"This vault is already open in another SPOC Desk{holder}; close it there first (one window per vault)."


def busy_message(vault_path: Path) -> str | None:
    """Why the vault cannot be opened here because another process holds it, or None.

    Only looks: no lock file means no holder; an unlocked one is left as it is (nothing written,
    no fsync, so the unlock screen does not wait on the disk)."""
    try:
        fd = _open_lock(lock_path(Path(vault_path)), os.O_RDWR)
    except (OSError, InvalidInput):
        return None  # none there, or not a lock file: the unlock itself will say what is wrong
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        return _busy_text(_read_holder(fd))
    finally:
        os.close(fd)
