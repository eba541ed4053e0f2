#!/usr/bin/env bash
# Set up (if needed) and open a demo vault of fictitious data, printing its user and passphrase.
# Then opens the desktop app at the demo vault's unlock screen.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh

VAULT=demo-vault/desk.vault
USER_NAME=demo-admin
PASSPHRASE="demo desk kettle orbit 2026"   # fictitious demo data only; never reuse
spocdesk=.venv/bin/spocdesk

mkdir -p demo-vault
chmod 700 demo-vault
if [ ! -f "$VAULT" ]; then
  printf '%s\n' "$PASSPHRASE" | "$spocdesk" init "$VAULT" --user "$USER_NAME" --agency DCON --passphrase-stdin
  printf '%s\n%s\n' "$PASSPHRASE" "demo spoc lantern quartz 2026" |
    "$spocdesk" users add "$VAULT" demo-spoc --role spoc --user "$USER_NAME" --passphrase-stdin
  printf '%s\n%s\n' "$PASSPHRASE" "demo dpm meadow copper 2026" |
    "$spocdesk" users add "$VAULT" demo-dpm --role dpm --user "$USER_NAME" --passphrase-stdin
fi

echo
echo "Demo vault: $VAULT   (fictitious data only)"
echo "User:       $USER_NAME"
echo "Passphrase: $PASSPHRASE"
echo "Other users: demo-spoc / demo spoc lantern quartz 2026, demo-dpm / demo dpm meadow copper 2026"
echo
echo "Opening SPOC Desk. Ctrl+L locks; the command line is .venv/bin/spocdesk --help"
exec "$spocdesk" open "$VAULT"
