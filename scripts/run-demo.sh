#!/usr/bin/env bash
# Set up (if needed), make a fresh demo vault of fictitious data, print its users and
# passphrases, and open the desktop app at its unlock screen.
# Each run replaces demo-vault/ (fictitious data only) so the printed passphrases always work.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh

VAULT=demo-vault/desk.vault
spocdesk=.venv/bin/spocdesk

rm -rf demo-vault
mkdir -p demo-vault
chmod 700 demo-vault
"$spocdesk" demo "$VAULT" --size "${DEMO_SIZE:-300}"

echo
echo "Opening SPOC Desk on $VAULT. Ctrl+L locks; the command line is .venv/bin/spocdesk --help"
exec "$spocdesk" open "$VAULT"
