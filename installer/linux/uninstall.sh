#!/bin/sh
# Remove SPOC Desk installed by install.sh for this user. It removes the program, its link,
# menu entry and icons, and NOTHING else: vaults (*.vault and *.vault.keys), their backups,
# settings and logs are the user's and stay where they are.
set -eu

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
opt="$HOME/.local/opt/spocdesk"
bin="$HOME/.local/bin/spocdesk"

# Only remove the link if it is ours.
if [ -L "$bin" ] && [ "$(readlink "$bin")" = "$opt/spocdesk" ]; then rm -f "$bin"; fi
rm -f "$data_home/applications/spocdesk.desktop"
rm -f "$data_home/icons/hicolor/256x256/apps/spocdesk.png" "$data_home/icons/hicolor/scalable/apps/spocdesk.svg"
# The program folder holds only the shipped files (the installer removes any portable
# marker), so removing it cannot remove a vault. Refuse if one is there all the same.
if [ -d "$opt" ]; then
    if find "$opt" \( -name '*.vault' -o -name '*.vault.keys' -o -name 'spocdesk-data' \) | grep -q .; then
        echo "uninstall: $opt holds vault files; move them out first. Nothing removed there." >&2
        exit 1
    fi
    rm -rf "$opt"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data_home/applications" || true

config=${XDG_CONFIG_HOME:-$HOME/.config}/SPOCDesk
echo "SPOC Desk is uninstalled. Kept: your vaults and backups wherever you saved them"
echo "(new vaults default to $data_home/SPOCDesk), settings in $config,"
echo "logs in ${XDG_STATE_HOME:-$HOME/.local/state}/SPOCDesk/log."
