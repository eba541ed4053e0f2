"""Where a vault may live: never in a network or cloud-synced folder.

SQLite's write-ahead log needs one host (its shared memory file is not shared across machines),
and a sync client (OneDrive, Dropbox, Google Drive, iCloud) copying a live vault and its log at
different moments corrupts it or brings back an old copy. So a vault is refused at create in such
a folder, with the reason, and warned about at open; the default folder offered is never one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Folder names the sync clients create (matched case-insensitively on any part of the path).
_SYNCED_NAMES = (
    (re.compile(r"^onedrive( - .+)?$"), "OneDrive"),
    (re.compile(r"^dropbox( \(.+\))?$"), "Dropbox"),
    (re.compile(r"^(google ?drive|my drive|googledrive-.+)$"), "Google Drive"),
    (re.compile(r"^(icloud ?drive|com~apple~clouddocs|mobile documents)$"), "iCloud"),
    (re.compile(r"^cloudstorage$"), "a cloud storage provider"),
)
_NETWORK_TYPES = {
    "nfs": "an NFS network share", "nfs4": "an NFS network share", "cifs": "an SMB network share",
    "smb3": "an SMB network share", "smbfs": "an SMB network share", "afs": "an AFS network share",
    "ceph": "a Ceph network file system", "glusterfs": "a GlusterFS network file system",
    "9p": "a 9P shared folder", "davfs": "a WebDAV mount", "sshfs": "an SSH (FUSE) mount",
}
_ENV_FOLDERS = (("OneDrive", "OneDrive"), ("OneDriveCommercial", "OneDrive"), ("OneDriveConsumer", "OneDrive"))


def _mounts(mounts_file: Path) -> list[tuple[str, str]]:
    try:
        text = mounts_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            # /proc/mounts escapes spaces and the like as octal (\040).
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[1])
            found.append((point, parts[2]))
    return found


def _mount_reason(path: Path, mounts_file: Path) -> str | None:
    best, fstype = "", ""
    text = str(path)
    for point, kind in _mounts(mounts_file):
        inside = text == point or text.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, fstype = point, kind
    if not best:
        return None
    kind = fstype.lower()
    if kind in _NETWORK_TYPES:
        return _NETWORK_TYPES[kind]
    if kind.startswith("fuse"):
        return f"a FUSE mount ({fstype}), such as a network or cloud drive"
    return None


def _windows_reason(path: Path) -> str | None:  # pragma: no cover - exercised on Windows only
    text = str(path)
    if text.startswith("\\\\"):
        return "a network share (a UNC path)"
    drive = os.path.splitdrive(text)[0]
    if drive:
        try:
            import ctypes

            if ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4:  # DRIVE_REMOTE
                return f"a mapped network drive ({drive})"
        except (AttributeError, OSError):
            pass
    return None


def synced_reason(folder: str | Path, *, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """Why `folder` is a network or cloud-synced folder ("in OneDrive", ...), or None."""
    folder = Path(folder)
    try:
        resolved = folder.resolve()
    except OSError:
        resolved = folder.absolute()
    for candidate in {folder.absolute(), resolved}:
        for part in candidate.parts:
            name = part.casefold().rstrip("\\/")
            for pattern, what in _SYNCED_NAMES:
                if pattern.match(name):
                    return f"in {what} (a cloud-synced folder)"
    for env, what in _ENV_FOLDERS:
        root = os.environ.get(env)
        if root:
            try:
                resolved.relative_to(Path(root).resolve())
                return f"in {what} (a cloud-synced folder)"
            except (ValueError, OSError):
                pass
    if os.name == "nt":  # pragma: no cover
        reason = _windows_reason(resolved)
    else:
        reason = _mount_reason(resolved, mounts_file)
    return f"on {reason}" if reason else None


def refusal(folder: Path, reason: str) -> str:
    return (f"A vault cannot be created in {folder}: it is {reason}. SQLite's write-ahead log needs "
            "one computer, and a sync client copying a live vault corrupts it; choose a folder on "
            "this computer's own disk (nothing was created).")


def warning(path: Path, reason: str) -> str:
    return (f"The vault {path.name} is {reason}: a sync client or a second computer can corrupt it. "
            "Move it (closed) to a folder on this computer's own disk.")


def default_folder(candidates: list[Path] | None = None) -> Path:
    """The folder offered for a new vault: the first candidate that is not synced."""
    from app.paths import data_dir

    if candidates is None:
        import platformdirs

        from app.paths import APP_AUTHOR, APP_NAME

        candidates = [data_dir(), Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
                      Path.home() / "SPOCDesk vaults"]
    for folder in candidates:
        if synced_reason(folder) is None:
            return folder
    return candidates[-1]
