"""Where SPOC Desk keeps its files: shipped resources, per-user config and logs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import platformdirs

APP_NAME = "SPOCDesk"
APP_AUTHOR = "SPOCDesk"

# A file of this name beside the executable of a frozen bundle makes the installation portable:
# config, logs and the default vault folder live in PORTABLE_DATA beside it, not in the profile.
PORTABLE_MARKER = "spocdesk-portable.txt"
PORTABLE_DATA = "spocdesk-data"


def resource_dir() -> Path:
    """The shipped `resources/` folder, in a source tree, an install or a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def install_dir() -> Path | None:
    """The folder holding the executable of a frozen bundle; None when run from Python."""
    if not getattr(sys, "frozen", False):
        return None
    return Path(sys.executable).resolve().parent


def portable_root() -> Path | None:
    """`spocdesk-data/` beside the executable when the portable marker is there, else None."""
    folder = install_dir()
    if folder is None or not (folder / PORTABLE_MARKER).is_file():
        return None
    return folder / PORTABLE_DATA


def _base(env: str, portable_name: str, platform_dir: Callable[[str, str], str]) -> Path:
    """An explicit SPOCDESK_*_DIR wins; then the portable folder; then the platform's per-user folder."""
    override = os.environ.get(env)
    if override:
        return Path(override)
    portable = portable_root()
    if portable is not None:
        return portable / portable_name
    return Path(platform_dir(APP_NAME, APP_AUTHOR))


def _private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by this user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def config_dir() -> Path:
    """Per-user, per-machine settings (window state, recent vaults). Never personal data."""
    return _private_dir(_base("SPOCDESK_CONFIG_DIR", "config", platformdirs.user_config_dir))


def data_dir() -> Path:
    """Default folder for new vaults."""
    return _private_dir(_base("SPOCDESK_DATA_DIR", "vaults", platformdirs.user_data_dir))


def log_dir() -> Path:
    """Logs hold event names and ids only, never personal data, passphrases or keys."""
    return _private_dir(_base("SPOCDESK_LOG_DIR", "logs", platformdirs.user_log_dir))
