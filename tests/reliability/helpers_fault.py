"""Run as a subprocess by the disk tests (never collected: no test_ prefix).

    python helpers_fault.py fill VAULT USER EXTRA_BYTES
        open the vault, then limit this process's file size (RLIMIT_FSIZE) to the vault's size
        plus EXTRA_BYTES, and commit numbered 20 kB rows until a write fails; prints each number
        once committed, then `ERROR <class> <message>` for the failure; then lifts the limit,
        prints `SPACE` and commits 3 more rows on the same open vault
    python helpers_fault.py write VAULT USER COUNT
        open the vault and commit COUNT more numbered rows (after the others), printing each;
        on failure prints `ERROR <class> <message>`

The passphrase comes from the SPOCDESK_TEST_PASSPHRASE environment variable.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.vault import crypto

crypto.SCRYPT_N = 2**10
crypto.ARGON2_MEMORY_KIB, crypto.ARGON2_ITERATIONS = 64, 1

from app.errors import SpocError
from app.vault import Vault

ROW = 20_000


def payload(n: int) -> str:
    return (f"row {n:06d} " * (ROW // 11 + 1))[:ROW]


def write_rows(vault, start: int, count: int | None) -> None:
    vault.db.execute("CREATE TABLE IF NOT EXISTS fill_test (n INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    n = start
    while count is None or n < start + count:
        with vault.db.transaction():
            vault.db.execute("INSERT INTO fill_test (n, payload) VALUES (?, ?)", (n, payload(n)))
            vault.audit("test.fill", record_type="fill_test", record_id=str(n))
        print(n, flush=True)
        n += 1
    return n


def main(argv: list[str]) -> int:
    mode, path, user = argv[1], Path(argv[2]), argv[3]
    passphrase = os.environ["SPOCDESK_TEST_PASSPHRASE"]
    try:
        vault = Vault.open(path, user=user, passphrase=passphrase)
    except SpocError as exc:
        print(f"ERROR {type(exc).__name__} {exc}", flush=True)
        return 0
    try:
        if mode == "fill":
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            limit = path.stat().st_size + int(argv[4])
            hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
            try:
                write_rows(vault, 1, None)
            except SpocError as exc:
                print(f"ERROR {type(exc).__name__} {exc}", flush=True)
            # Space returns: the same open vault carries on.
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
            print("SPACE", flush=True)
            start = vault.db.scalar("SELECT max(n) FROM fill_test") + 1
            write_rows(vault, start, 3)
        elif mode == "write":
            held = vault.db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'fill_test'")
            start = (vault.db.scalar("SELECT max(n) FROM fill_test") if held else 0) or 0
            start += 1
            write_rows(vault, start, int(argv[4]))
    except SpocError as exc:
        print(f"ERROR {type(exc).__name__} {exc}", flush=True)
    finally:
        try:
            vault.close()
        except SpocError as exc:
            print(f"CLOSE {type(exc).__name__} {exc}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
