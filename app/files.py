"""Files the app writes with personal data in them (PDFs, exports, packages, backups, keyslots):
one way to create them. Each is created new (O_EXCL, never following a link) readable by this
user only from the first byte — mode 0600 on POSIX; on Windows a protected DACL that grants the
file's owner alone (`D:P(A;;FA;;;OW)`), given to CreateFileW so no inherited entry (a synced or
shared folder's) ever applies, even for the moment before a chmod. It is written whole and
synced, or not kept at all.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.errors import InvalidInput

_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
          | getattr(os, "O_CLOEXEC", 0))


# Owner Rights (S-1-3-4) full access, protected (inherits nothing): the user who creates the file
# and no one else. An SDDL string, the documented way to build a security descriptor.
WINDOWS_OWNER_ONLY_SDDL = "D:P(A;;FA;;;OW)"


def open_private(path: str | Path) -> int:
    """A new file, for writing, readable by this user only from the first byte; returns an OS
    file descriptor. An existing file or a planted link raises FileExistsError."""
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        return _open_private_windows(Path(path))
    return os.open(path, _FLAGS, 0o600)


def _open_private_windows(path: Path) -> int:  # pragma: no cover - exercised on Windows only
    import ctypes
    import msvcrt
    from ctypes import wintypes

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

    class SecurityAttributes(ctypes.Structure):
        _fields_ = [("nLength", wintypes.DWORD), ("lpSecurityDescriptor", wintypes.LPVOID),
                    ("bInheritHandle", wintypes.BOOL)]

    descriptor = wintypes.LPVOID()
    if not advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(
            WINDOWS_OWNER_ONLY_SDDL, 1, ctypes.byref(descriptor), None):  # SDDL_REVISION_1
        raise ctypes.WinError(ctypes.get_last_error())
    try:
        attributes = SecurityAttributes(ctypes.sizeof(SecurityAttributes), descriptor, False)
        kernel32.CreateFileW.restype = wintypes.HANDLE
        handle = kernel32.CreateFileW(
            str(path), 0x40000000, 0, ctypes.byref(attributes),  # GENERIC_WRITE, no sharing
            1, 0x80 | 0x00200000, None)  # CREATE_NEW; FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT
        if handle in (None, wintypes.HANDLE(-1).value):
            error = ctypes.get_last_error()
            if error in (80, 183):  # ERROR_FILE_EXISTS, ERROR_ALREADY_EXISTS
                raise FileExistsError(str(path))
            raise ctypes.WinError(error)
    finally:
        kernel32.LocalFree(descriptor)
    return msvcrt.open_osfhandle(handle, os.O_WRONLY | os.O_BINARY)


def write_private(path: str | Path, data: bytes, *, replace: bool = False) -> Path:
    """Write `data` to a new file readable by this user only.

    Without `replace` an existing file (or a link planted at the name) is refused. With it (a
    Save dialog has already asked), the file is written beside it under a temporary name and
    then swapped in, so a failure leaves the old file as it was."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.")
    target = path.with_name(f".{path.name}.saving") if replace else path
    try:
        fd = open_private(target)
    except FileExistsError:
        if replace:
            raise InvalidInput(f"{target} is in the way; remove it and save again (nothing was written).") from None
        raise InvalidInput(f"{path} already exists; choose a new file name (nothing was written).") from None
    except OSError as exc:
        raise InvalidInput(f"Could not write {path}: {exc.strerror or exc} (nothing was written).") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(target, path)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise InvalidInput(f"Could not write {path}: {exc.strerror or exc} (nothing was kept).") from None
    return path
