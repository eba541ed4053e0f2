"""Per-machine desktop state in the per-user config folder: recent vaults, the last user of each
vault, whether its policy allowed a remembered key, and window geometry (bytes as base64 text,
never pickled). Holds no personal data, passphrase or key."""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path

from app.paths import config_dir

log = logging.getLogger(__name__)
FILE_NAME = "desktop.json"
MAX_RECENT = 8


def _path() -> Path:
    return config_dir() / FILE_NAME


def _load() -> dict:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("desktop_config.unreadable")
        return {}


def _save(data: dict) -> None:
    path = _path()
    temp = path.with_name(path.name + ".new")
    try:
        temp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        log.warning("desktop_config.not_saved")


def _vault_key(vault_path: Path | str) -> str:
    return str(Path(vault_path).resolve())


def recent_vaults() -> list[Path]:
    return [Path(p) for p in _load().get("recent", []) if isinstance(p, str)]


def remember_vault(vault_path: Path | str) -> None:
    data = _load()
    key = _vault_key(vault_path)
    recent = [p for p in data.get("recent", []) if p != key]
    data["recent"] = [key, *recent][:MAX_RECENT]
    _save(data)


def forget_vault(vault_path: Path | str) -> None:
    data = _load()
    key = _vault_key(vault_path)
    data["recent"] = [p for p in data.get("recent", []) if p != key]
    data.get("vaults", {}).pop(key, None)
    _save(data)


def desktop_setting(name: str, default=None):
    """A setting of this workstation's desktop.json (e.g. "high_contrast": "on", "off" or "auto")."""
    return _load().get(name, default)


def set_desktop_setting(name: str, value) -> None:
    data = _load()
    data[name] = value
    _save(data)


def vault_setting(vault_path: Path | str, name: str, default=None):
    return _load().get("vaults", {}).get(_vault_key(vault_path), {}).get(name, default)


def set_vault_setting(vault_path: Path | str, name: str, value) -> None:
    data = _load()
    data.setdefault("vaults", {}).setdefault(_vault_key(vault_path), {})[name] = value
    _save(data)


def window_state(name: str) -> bytes | None:
    text = _load().get("windows", {}).get(name)
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except ValueError:
        return None


def set_window_state(name: str, state: bytes) -> None:
    data = _load()
    data.setdefault("windows", {})[name] = base64.b64encode(bytes(state)).decode("ascii")
    _save(data)
