#!/usr/bin/env bash
# Debian/Ubuntu packages SPOC Desk's desktop and tests need beyond Python's own wheels.
# Offscreen Qt: libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libglib2.0-0.
# A real window under X (or Xvfb): the xcb libraries below, xvfb and xauth for screenshots.
# poppler-utils gives pdftotext/pdftoppm for checking printed documents.
# binutils gives objdump, which PyInstaller needs to build the frozen bundle (installer/build.py).
# age is the independent reference tool a test opens sealed packages with (tests/test_packages.py).
# cups and printer-driver-cups-pdf give the real print queue the printing test prints to
# (tests/ui/test_real_printer.py starts a private cupsd with a CUPS-PDF queue); cups brings lp,
# the client the desktop prints to a CUPS queue through.
set -euo pipefail
packages=(
  libegl1 libgl1 libfontconfig1 libfreetype6 libxkbcommon0 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1
  libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libx11-xcb1
  xvfb xauth poppler-utils fonts-dejavu-core binutils age cups printer-driver-cups-pdf
)
command -v dpkg-query >/dev/null 2>&1 || { echo "install-system-packages: not a Debian system; skipped" >&2; exit 0; }
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-system-packages: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install-system-packages: apt-get failed for: ${missing[*]}" >&2
  exit 1
fi
rm -f "$log"
