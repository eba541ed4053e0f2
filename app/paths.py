"""Where SPOC Desk keeps its files: shipped resources, per-user config and logs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "SPOCDesk"
APP_AUTHOR = "SPOCDesk"


def resource_dir() -> Path:
    """The shipped `resources/` folder, in a source tree, an install or a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def _private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by this user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def config_dir() -> Path:
    """Per-user, per-machine settings (window state, recent vaults). Never personal data."""
    override = os.environ.get("SPOCDESK_CONFIG_DIR")
    base = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    return _private_dir(base)


def data_dir() -> Path:
    """Default folder for new vaults."""
    override = os.environ.get("SPOCDESK_DATA_DIR")
    base = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    return _private_dir(base)


def log_dir() -> Path:
    """Logs hold event names and ids only, never personal data, passphrases or keys."""
    override = os.environ.get("SPOCDESK_LOG_DIR")
    base = Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    return _private_dir(base)
