"""Build the SPOC Desk bundle for the platform this runs on.

    .venv/bin/python installer/build.py                 # with the project's venv (quick)
    python3.11 installer/build.py --fresh-venv          # release: a new venv under build/

Makes, under --dist (default dist/):
  spocdesk/                                    the one-folder bundle (PyInstaller, no UPX)
  Linux:   spocdesk-VERSION-linux-ARCH.tar.gz   bundle + install.sh, uninstall.sh, menu entry, icons
  Windows: spocdesk-VERSION-windows-portable.zip  bundle + spocdesk-portable.txt (data beside it)
           spocdesk-VERSION-setup.exe           per-user installer, if Inno Setup's iscc is on PATH
           spocdesk-VERSION-x64.msi             per-machine MSI, if the WiX `wix` tool is on PATH
The version is read from pyproject.toml. Every run starts clean: the old bundle, PyInstaller's
work folder and its binary cache (kept inside --work, never in the user profile) are removed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INSTALLER = REPO / "installer"
WINDOWS = sys.platform == "win32"
LINUX = sys.platform.startswith("linux")
PORTABLE_MARKER = "spocdesk-portable.txt"  # the name app/paths.py looks for
PORTABLE_TEXT = """\
This copy of SPOC Desk is portable: its settings, logs and the default folder for new vaults
are in the spocdesk-data folder beside this file, not in your user profile.
Delete this file to make the copy use the profile instead. Keep vault files (*.vault and
*.vault.keys) together, and back them up with: spocdesk backup VAULT DEST
"""


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pyinstaller_requirement() -> str:
    """The PyInstaller pin of the `test` extra: one place for the version range."""
    for requirement in project()["optional-dependencies"]["test"]:
        if re.match(r"pyinstaller\b", requirement, re.I):
            return requirement
    return "pyinstaller>=6.10,<7"


def say(message: str) -> None:
    print(f"build: {message}", flush=True)


def run(command: list[str], **kwargs) -> None:
    subprocess.run(command, check=True, **kwargs)


def fresh_venv(work: Path) -> Path:
    """A new venv with only SPOC Desk (not editable) and PyInstaller: what ships is what the
    project declares, nothing picked up from a developer's environment."""
    folder = work / "venv"
    shutil.rmtree(folder, ignore_errors=True)
    say(f"creating a clean build environment in {folder}")
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    python = folder / ("Scripts/python.exe" if WINDOWS else "bin/python")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    run(pip + ["--upgrade", "pip"])
    run(pip + [str(REPO), pyinstaller_requirement()])
    return python


def check_tools(python: str) -> None:
    probe = "import PyInstaller, app.cli, spocdesk.launcher, ui.shell.app"
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        sys.exit("build: this Python lacks PyInstaller or SPOC Desk's dependencies; run "
                 "`bash scripts/setup-venv.sh` and use .venv's python, or pass --fresh-venv\n"
                 + result.stderr.strip().splitlines()[-1])


def pyinstaller(python: str, dist: Path, work: Path) -> Path:
    bundle = dist / "spocdesk"
    shutil.rmtree(bundle, ignore_errors=True)
    shutil.rmtree(work / "pyinstaller", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYINSTALLER_CONFIG_DIR"] = str(work / "pyinstaller" / "cache")  # no cache from earlier builds
    run([python, "-m", "PyInstaller", str(INSTALLER / "spocdesk.spec"), "--noconfirm", "--clean",
         "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work / "pyinstaller")],
        env=env, cwd=REPO)
    return bundle


def add_shared_files(bundle: Path, version: str) -> None:
    """Menu entry, icons and the version beside the executable, for the install scripts."""
    share = bundle / "share"
    (share / "icons").mkdir(parents=True, exist_ok=True)
    for name in ("spocdesk.png", "spocdesk.svg", "spocdesk.ico"):
        shutil.copy2(REPO / "resources" / "icons" / name, share / "icons" / name)
    (share / "VERSION").write_text(version + "\n", encoding="utf-8")
    if LINUX:
        shutil.copy2(INSTALLER / "linux" / "spocdesk.desktop", share / "spocdesk.desktop")
        for script in ("install.sh", "uninstall.sh"):
            shutil.copy2(INSTALLER / "linux" / script, bundle / script)
            (bundle / script).chmod(0o755)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def machine() -> str:
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)


def linux_tarball(bundle: Path, dist: Path, version: str) -> Path:
    out = dist / f"spocdesk-{version}-linux-{machine()}.tar.gz"
    top = f"spocdesk-{version}"

    def owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=top, filter=owner)
    return out


def portable_zip(bundle: Path, dist: Path, version: str) -> Path:
    out = dist / f"spocdesk-{version}-windows-portable.zip"
    top = "SPOC Desk"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(bundle.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top}/{path.relative_to(bundle).as_posix()}")
        archive.writestr(f"{top}/{PORTABLE_MARKER}", PORTABLE_TEXT)
    return out


def windows_installers(bundle: Path, dist: Path, version: str) -> list[Path]:
    """Inno Setup (per-user) and WiX (per-machine), each only if its compiler is installed."""
    made = []
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc:
        run([iscc, f"/DAppVersion={version}", f"/DBundleDir={bundle}", f"/O{dist}",
             str(INSTALLER / "windows" / "spocdesk.iss")])
        made.append(dist / f"spocdesk-{version}-setup.exe")
    else:
        say("iscc not found: per-user installer skipped (see docs/deploy.md)")
    wix = shutil.which("wix")
    if wix:
        out = dist / f"spocdesk-{version}-x64.msi"
        run([wix, "build", str(INSTALLER / "windows" / "spocdesk.wxs"), "-arch", "x64",
             "-d", f"Version={version}", "-d", f"BundleDir={bundle}", "-o", str(out)])
        made.append(out)
    else:
        say("wix not found: per-machine MSI skipped (see docs/deploy.md)")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="where the bundle and archives go")
    parser.add_argument("--work", type=Path, default=REPO / "build", help="scratch folder (wiped)")
    parser.add_argument("--fresh-venv", action="store_true",
                        help="build from a new venv in WORK/venv with only the project's dependencies")
    parser.add_argument("--no-archive", action="store_true", help="make the bundle folder only")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    dist.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    version = project()["version"]

    started = time.monotonic()
    python = str(fresh_venv(work)) if args.fresh_venv else sys.executable
    check_tools(python)
    say(f"SPOC Desk {version}: PyInstaller bundle for {sys.platform}-{machine()} with {python}")
    frozen_started = time.monotonic()
    bundle = pyinstaller(python, dist, work)
    add_shared_files(bundle, version)
    frozen_seconds = time.monotonic() - frozen_started
    outputs = [bundle]
    if not args.no_archive:
        if LINUX:
            outputs.append(linux_tarball(bundle, dist, version))
        elif WINDOWS:
            outputs.append(portable_zip(bundle, dist, version))
            outputs += windows_installers(bundle, dist, version)
    for path in outputs:
        size = folder_size(path) if path.is_dir() else path.stat().st_size
        say(f"{path}  {size / 1e6:.0f} MB")
    say(f"bundle in {frozen_seconds:.0f} s; all done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
