#!/bin/sh
# Install SPOC Desk for this user only: no root, nothing outside $HOME.
#
#   ~/.local/opt/spocdesk/                      the program (this folder, copied)
#   ~/.local/bin/spocdesk                       a link to it, for the command line
#   ~/.local/share/applications/spocdesk.desktop  the menu entry
#   ~/.local/share/icons/hicolor/.../spocdesk.*   its icon
#
# Run it from the unpacked tarball: ./install.sh. Running it again upgrades in place.
# Vaults, settings and logs are never in the program folder, so an upgrade keeps them.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
opt="$HOME/.local/opt/spocdesk"
bin="$HOME/.local/bin"
apps="$data_home/applications"
icons="$data_home/icons/hicolor"

if [ ! -x "$here/spocdesk" ] || [ ! -d "$here/_internal" ]; then
    echo "install: run this script from the unpacked SPOC Desk folder" >&2
    exit 1
fi
if [ "$here" = "$opt" ]; then
    echo "install: SPOC Desk is already installed here ($opt)" >&2
    exit 0
fi

# Copy beside the old version, then swap: a failed copy leaves the old version working.
mkdir -p "$HOME/.local/opt"
rm -rf "$opt.new"
cp -R "$here" "$opt.new"
rm -f "$opt.new/spocdesk-portable.txt"   # an installed copy keeps its data in the profile
rm -rf "$opt.old"
if [ -e "$opt" ]; then mv "$opt" "$opt.old"; fi
mv "$opt.new" "$opt"
rm -rf "$opt.old"

mkdir -p "$bin" "$apps" "$icons/256x256/apps" "$icons/scalable/apps"
ln -sfn "$opt/spocdesk" "$bin/spocdesk"
cp "$opt/share/icons/spocdesk.png" "$icons/256x256/apps/spocdesk.png"
cp "$opt/share/icons/spocdesk.svg" "$icons/scalable/apps/spocdesk.svg"
# The menu entry names the program by its full path: ~/.local/bin need not be on PATH.
sed "s|^Exec=.*|Exec=\"$opt/spocdesk\"|" "$opt/share/spocdesk.desktop" > "$apps/spocdesk.desktop"
chmod 644 "$apps/spocdesk.desktop"

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true

echo "SPOC Desk $(cat "$opt/share/VERSION") is installed in $opt"
echo "Start it from the applications menu, or run: $bin/spocdesk"
case ":$PATH:" in *":$bin:"*) ;; *) echo "(add $bin to your PATH to type just 'spocdesk')";; esac
echo "Check it with: $bin/spocdesk self-test"
