"""The storage gateway: the only place that opens the database and issues `PRAGMA key`.

Every statement elsewhere goes through `Database.execute` and friends with parameters; the only
formatted statements are `PRAGMA key` and `PRAGMA rekey` with a raw key checked to be exactly 64
hex digits.
"""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlcipher3

from app import namekeys
from app.errors import InvalidInput, SpocError, VaultDamaged

PLAINTEXT_HEADER = b"SQLite format 3\x00"
PAGE_SIZE = 4096
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")

DatabaseError = sqlcipher3.DatabaseError
IntegrityError = sqlcipher3.IntegrityError


class DiskFull(SpocError):
    exit_code = 1


def sqlcipher_version() -> str:
    """The SQLCipher version of this build, or '' when the module is plain SQLite."""
    conn = sqlcipher3.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
        return row[0] if row and row[0] else ""
    finally:
        conn.close()


def check_file_header(path: Path) -> None:
    """Refuse files that cannot be one of our vaults before any key is tried."""
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(len(PLAINTEXT_HEADER))
    except FileNotFoundError:
        raise InvalidInput(f"There is no vault at {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; give the vault file inside it.") from None
    except PermissionError:
        raise InvalidInput(f"You may not read {path}; check the file's permissions.") from None
    if head == PLAINTEXT_HEADER:
        raise VaultDamaged(
            f"{path.name} is an unencrypted SQLite database, not a SPOC Desk vault; it was refused."
        )
    if size == 0 or size % PAGE_SIZE:
        raise VaultDamaged(f"The vault {path.name} is truncated or damaged (its size is not whole pages).")


def translate_error(exc: Exception) -> SpocError | None:
    """Map SQLite's failures to the errors a user is told about; None for programming errors."""
    if isinstance(exc, sqlcipher3.IntegrityError):
        return None
    message = str(exc).lower()
    if "database or disk is full" in message:
        return DiskFull("The disk is full: nothing was saved. Free some space and try again.")
    if "disk i/o error" in message:
        # A write refused by the system (a full disk or quota can show as EFBIG/EIO, not only
        # SQLITE_FULL) or a failing drive; the transaction is rolled back either way.
        return DiskFull("The vault could not be written (the disk is full or failing): nothing was saved. "
                        "Free some space or check the drive, and try again.")
    if "readonly" in message or "read-only" in message:
        return InvalidInput("The vault is read-only here: nothing was saved. Check the file's permissions.")
    if isinstance(exc, sqlcipher3.DatabaseError) and (
        "not a database" in message or "malformed" in message or "hmac" in message
        or type(exc) is sqlcipher3.DatabaseError
    ):
        return VaultDamaged(
            "The vault is damaged or has been tampered with (its encryption check failed); "
            "run `spocdesk verify` and restore from a backup."
        )
    return None


class StatementResult:
    """What a statement returned, read completely while the connection's lock was held.

    A live cursor handed out of the lock could be stepped while another thread uses the same
    connection, which sqlcipher3's shared statement cache does not survive; so no cursor leaves
    the gateway."""

    __slots__ = ("rows", "rowcount", "lastrowid")

    def __init__(self, cursor: sqlcipher3.Cursor):
        self.rows = cursor.fetchall() if cursor.description else []
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    def fetchall(self) -> list:
        return list(self.rows)

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class Database:
    """One SQLCipher connection, serialised by a lock so worker threads can share it; every
    statement is stepped to the end inside the lock (see StatementResult)."""

    def __init__(self, conn: sqlcipher3.Connection, path: Path):
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._only_thread: int | None = None  # set by interrupt(): the one thread still served

    @property
    def closed(self) -> bool:
        return self._conn is None

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def _live(self) -> sqlcipher3.Connection:
        if self._conn is None or (self._only_thread is not None and threading.get_ident() != self._only_thread):
            raise SpocError("The vault is locked.")
        return self._conn

    def interrupt(self) -> None:
        """Before a lock closes the connection, from the locking thread: stop the statement another
        thread is running now (SQLite's interrupt; the lock is not needed for it) and refuse every
        statement other threads start from now on, so their transactions roll back at their next
        statement and closing waits for no work."""
        self._only_thread = threading.get_ident()
        conn = self._conn
        if conn is not None:
            conn.interrupt()

    def execute(self, sql: str, params: Iterable[Any] | dict = ()) -> StatementResult:
        with self._lock, _translated():
            return StatementResult(self._live().execute(sql, params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> StatementResult:
        with self._lock, _translated():
            return StatementResult(self._live().executemany(sql, rows))

    def query(self, sql: str, params: Iterable[Any] | dict = ()) -> list[sqlcipher3.Row]:
        with self._lock, _translated():
            return self._live().execute(sql, params).fetchall()

    def one(self, sql: str, params: Iterable[Any] | dict = ()) -> sqlcipher3.Row | None:
        with self._lock, _translated():
            return self._live().execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Iterable[Any] | dict = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Database"]:
        """BEGIN IMMEDIATE ... COMMIT; nested use joins the outer transaction."""
        with self._lock:
            conn = self._live()
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            with _translated():
                conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                with _translated():
                    conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                raise

    def rekey(self, new_dek: bytes | bytearray) -> None:
        """Re-encrypt every page under a new raw key (SQLCipher's PRAGMA rekey: one write
        transaction, so a crash leaves the old key or the new one, never a mix)."""
        key_hex = bytes(new_dek).hex()
        if not _HEX_KEY.match(key_hex):
            raise ValueError("the data key must be 32 bytes")
        with self._lock:
            if self._depth:
                raise RuntimeError("rekey inside a transaction")
            with _translated():
                self._live().execute(f"PRAGMA rekey = \"x'{key_hex}'\"").fetchall()
                # The re-encrypted pages are in the write-ahead log: fold them into the file, so
                # the page checks (which read the file) and any copy see only the new key.
                self._live().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        del key_hex

    def raw_backup_to(self, target: "Database") -> None:
        """SQLite online backup into another connection keyed with the same data key."""
        with self._lock, _translated():
            self._live().backup(target._live())

    def scrub(self) -> None:
        """Leave no page of deleted rows behind (9.3: reconstruction unlikely): checkpoint the
        write-ahead log into the file and empty it, rebuild the file with VACUUM (secure_delete
        has already zeroed freed pages; VACUUM drops them), then checkpoint and empty the log
        again, since in WAL mode VACUUM writes the whole rebuilt file through it."""
        with self._lock, _translated():
            conn = self._live()
            if self._depth:
                raise SpocError("The vault cannot be compacted inside a transaction.")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlcipher3.Error as exc:
        mapped = translate_error(exc)
        if mapped is None:
            raise
        raise mapped from exc
    except UnicodeEncodeError:
        # An unpaired surrogate (from a JSON "\ud800" escape, say) cannot be stored as UTF-8.
        raise InvalidInput("The text holds a character that cannot be stored (an unpaired UTF-16 "
                           "surrogate): nothing was saved. Remove it and try again.") from None


def open_database(path: Path, dek: bytes | bytearray, *, create: bool = False,
                  journal_mode: str = "WAL") -> Database:
    """Open (or create) the encrypted database with the raw data key and the house pragmas."""
    if not create:
        check_file_header(path)
    elif path.exists():
        raise InvalidInput(f"{path} already exists; choose a new file for the vault.")
    key_hex = bytes(dek).hex()
    if not _HEX_KEY.match(key_hex):
        raise ValueError("the data key must be 32 bytes")
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    try:
        conn.row_factory = sqlcipher3.Row
        namekeys.register(conn)  # the subject_keys triggers call them (migration 18)
        conn.execute("PRAGMA cipher_log_level = NONE")
        if not conn.execute("PRAGMA cipher_version").fetchone():
            raise SpocError("This build of SQLite has no SQLCipher: refusing to store anything unencrypted.")
        conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        del key_hex
        try:
            # A wrong or damaged key shows here, on the first read, not on PRAGMA key.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise VaultDamaged(
                f"The vault {path.name} is damaged or has been tampered with, or its keyslot file "
                "belongs to another vault or is out of date (the key unlocked but the data failed "
                "its check); put back the current keyslot file, or restore from a backup."
            ) from exc
        if journal_mode not in ("WAL", "DELETE"):
            raise ValueError(journal_mode)
        for pragma in (
            f"PRAGMA journal_mode = {journal_mode}",
            "PRAGMA synchronous = FULL",
            "PRAGMA secure_delete = ON",
            "PRAGMA temp_store = MEMORY",
            "PRAGMA foreign_keys = ON",
            # So that INSERT OR REPLACE, which deletes the row it replaces, fires DELETE triggers.
            "PRAGMA recursive_triggers = ON",
        ):
            conn.execute(pragma).fetchall()
    except BaseException:
        conn.close()
        raise
    return Database(conn, path)
