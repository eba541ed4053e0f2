"""Run as a subprocess by the vault tests (never collected by pytest: no test_ prefix).

    python helpers_writer.py hold  VAULT USER   open the vault, print "ready", sleep until killed
    python helpers_writer.py write VAULT USER   open the vault and commit numbered writes forever,
                                                printing each number once it is committed
    python helpers_writer.py rekey VAULT USER   rekey the vault over and over, printing each count
    python helpers_writer.py disable VAULT USER NAME   disable NAME (which rekeys); prints "done"

The passphrase comes from the SPOCDESK_TEST_PASSPHRASE environment variable, not argv.
Each write is one transaction holding a row of `kill_test` and an audit event for the same number.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.vault import crypto

# The same fast KDF as the in-process tests (conftest.fast_kdf).
crypto.SCRYPT_N = 2**10
crypto.ARGON2_MEMORY_KIB, crypto.ARGON2_ITERATIONS = 64, 1

from app.vault import Vault


def payload(n: int) -> str:
    """What row n must hold; the parent checks every row against it."""
    return f"row {n:08d} " + "x" * (n % 97) + " end"


def main(argv: list[str]) -> int:
    mode, vault_path, user = argv[1], Path(argv[2]), argv[3]
    passphrase = os.environ["SPOCDESK_TEST_PASSPHRASE"]
    vault = Vault.open(vault_path, user=user, passphrase=passphrase)
    if mode == "hold":
        print("ready", flush=True)
        while True:
            time.sleep(1)
    if mode == "write":
        vault.db.execute(
            "CREATE TABLE IF NOT EXISTS kill_test (n INTEGER PRIMARY KEY, payload TEXT NOT NULL)"
        )
        n = 0
        while True:
            n += 1
            with vault.db.transaction():
                vault.db.execute("INSERT INTO kill_test (n, payload) VALUES (?, ?)", (n, payload(n)))
                vault.audit("test.write", record_type="kill_test", record_id=str(n))
            print(n, flush=True)
    if mode == "rekey":
        from app import users

        n = 0
        while True:
            users.rekey_vault(vault)
            n += 1
            print(n, flush=True)
    if mode == "disable":
        from app import users

        print("ready", flush=True)
        users.disable_user(vault, argv[4])
        print("done", flush=True)
        while True:
            time.sleep(1)
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
