"""The installer sources that cannot be built here: well-formed, and their upgrade identities fixed.

Changing the Inno Setup AppId or the MSI UpgradeCode would make a new release install beside the
old one instead of replacing it; these tests make such a change deliberate.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO

INSTALLER = REPO / "installer"
INNO_APP_ID = "{{ECEDE7D1-74C9-4518-A23B-75BADB5146CE}"
MSI_UPGRADE_CODE = "7DD7F50F-9430-4848-8B71-981B023814B0"
WIX = "{http://wixtoolset.org/schemas/v4/wxs}"


def iss_setup() -> dict[str, str]:
    text = (INSTALLER / "windows" / "spocdesk.iss").read_text(encoding="utf-8")
    section = text.split("[Setup]", 1)[1].split("\n[", 1)[0]
    return dict(line.split("=", 1) for line in section.splitlines() if "=" in line and not line.startswith(";"))


def test_inno_setup_is_per_user_with_a_stable_app_id():
    setup = iss_setup()
    assert setup["AppId"] == INNO_APP_ID
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["DefaultDirName"] == r"{userpf}\SPOC Desk"  # %LOCALAPPDATA%\Programs\SPOC Desk
    text = (INSTALLER / "windows" / "spocdesk.iss").read_text(encoding="utf-8")
    assert r'Name: "{userprograms}\SPOC Desk"; Filename: "{app}\spocdeskw.exe"' in text
    assert 'Excludes: "spocdesk-portable.txt"' in text


def test_wix_package_is_per_machine_with_a_stable_upgrade_code():
    root = ET.parse(INSTALLER / "windows" / "spocdesk.wxs").getroot()
    package = root.find(f"{WIX}Package")
    assert package.get("UpgradeCode") == MSI_UPGRADE_CODE
    assert package.get("Scope") == "perMachine"
    assert package.get("Version") == "$(var.Version)"
    assert package.find(f"{WIX}MajorUpgrade") is not None
    shortcut = package.find(f".//{WIX}Shortcut")
    assert shortcut.get("Directory") == "ProgramMenuFolder"
    excluded = [e.get("Files") for e in package.iter(f"{WIX}Exclude")]
    assert r"$(var.BundleDir)\spocdeskw.exe" in excluded  # declared once, with its shortcut


def test_spec_ships_no_upx_no_tests_and_no_plaintext_keyring():
    spec = (INSTALLER / "spocdesk.spec").read_text(encoding="utf-8")
    assert "upx=True" not in spec and spec.count("upx=False") >= 2
    for excluded in ('"keyrings.alt"', '"pytest"', '"tests"', '"PyInstaller"'):
        assert excluded in spec
    for hidden in ('"sqlcipher3"', '"PySide6.QtPdf"', '"PySide6.QtPdfWidgets"', '"jsonschema_specifications"',
                   '"tzdata"', '"keyring.backends.Windows"'):
        assert hidden in spec
    assert 'app.paths' in spec or 'resource_dir' in spec  # resources go where app.paths looks


def test_desktop_entry_is_valid():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(INSTALLER / "linux" / "spocdesk.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Icon"] == "spocdesk"
    assert desktop["StartupWMClass"] == "spocdesk" and desktop["Terminal"] == "false"
    assert re.fullmatch(r"[A-Za-z;]+;", desktop["Categories"])


@pytest.mark.parametrize("script", ["install.sh", "uninstall.sh"])
def test_linux_scripts_parse(script):
    result = subprocess.run(["sh", "-n", str(INSTALLER / "linux" / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_icons_are_committed():
    icons = REPO / "resources" / "icons"
    assert (icons / "spocdesk.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (icons / "spocdesk.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    ET.parse(icons / "spocdesk.svg")
