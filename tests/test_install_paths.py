"""Where an installation keeps its files: the portable marker, resources in a frozen bundle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from app import paths


@pytest.fixture
def frozen(tmp_path, monkeypatch):
    """Pretend to be a frozen bundle whose executable is tmp_path/bundle/spocdesk."""
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "spocdesk"))
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle / "_internal"), raising=False)
    for name in ("CONFIG", "DATA", "LOG"):
        monkeypatch.delenv(f"SPOCDESK_{name}_DIR", raising=False)
    profile = tmp_path / "profile"
    for kind in ("config", "data", "log"):
        monkeypatch.setattr(paths.platformdirs, f"user_{kind}_dir",
                            lambda app, author, _kind=kind: str(profile / _kind / app))
    return bundle


def test_from_python_there_is_no_install_dir_and_no_portable_mode():
    assert paths.install_dir() is None
    assert paths.portable_root() is None


def test_a_frozen_bundle_reads_resources_from_its_internal_folder(frozen):
    assert paths.resource_dir() == frozen / "_internal" / "resources"
    assert paths.resource_path("fonts", "DejaVuSans.ttf") == frozen / "_internal" / "resources" / "fonts" / "DejaVuSans.ttf"


def test_without_the_marker_a_frozen_bundle_uses_the_profile(frozen, tmp_path):
    assert paths.portable_root() is None
    assert paths.config_dir() == tmp_path / "profile" / "config" / "SPOCDesk"
    assert paths.data_dir() == tmp_path / "profile" / "data" / "SPOCDesk"
    assert paths.log_dir() == tmp_path / "profile" / "log" / "SPOCDesk"
    assert not (frozen / paths.PORTABLE_DATA).exists()


def test_the_marker_beside_the_executable_keeps_config_logs_and_vaults_beside_it(frozen, tmp_path):
    (frozen / "spocdesk-portable.txt").write_text("portable\n")
    data = frozen / "spocdesk-data"
    assert paths.portable_root() == data
    assert paths.config_dir() == data / "config"
    assert paths.log_dir() == data / "logs"
    assert paths.data_dir() == data / "vaults"
    assert all(p.is_dir() for p in (data / "config", data / "logs", data / "vaults"))
    assert not (tmp_path / "profile").exists()


def test_a_marker_that_is_a_folder_does_not_count(frozen):
    (frozen / "spocdesk-portable.txt").mkdir()
    assert paths.portable_root() is None


def test_an_explicit_folder_setting_wins_over_the_marker(frozen, tmp_path, monkeypatch):
    (frozen / "spocdesk-portable.txt").write_text("")
    monkeypatch.setenv("SPOCDESK_LOG_DIR", str(tmp_path / "it-logs"))
    assert paths.log_dir() == tmp_path / "it-logs"
    assert paths.config_dir() == frozen / "spocdesk-data" / "config"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_portable_folders_are_private(frozen):
    (frozen / "spocdesk-portable.txt").write_text("")
    assert paths.config_dir().stat().st_mode & 0o777 == 0o700


def test_the_build_script_writes_the_marker_app_paths_looks_for():
    script = Path(paths.__file__).resolve().parents[1] / "installer" / "build.py"
    spec = importlib.util.spec_from_file_location("spocdesk_build", script)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.PORTABLE_MARKER == paths.PORTABLE_MARKER
