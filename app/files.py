"""Files the app writes with personal data in them (PDFs, exports, packages): one way to create
them. Each is created new (O_EXCL, never following a link) with mode 0600 from the first byte, so
no other account can open it even for the moment before a chmod; it is written whole and synced,
or not kept at all.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.errors import InvalidInput

_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
          | getattr(os, "O_CLOEXEC", 0))


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
        fd = os.open(target, _FLAGS, 0o600)
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
