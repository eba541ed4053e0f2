"""A test-only reader of SQLCipher 4 pages, independent of SQLCipher itself (cryptography only).

SQLCipher 4 defaults: 4096-byte pages; AES-256-CBC; each page ends with a 16-byte IV and a 64-byte
HMAC-SHA512 (80 reserved bytes); the first 16 bytes of the file are the salt, and page 1's
encrypted part starts after them. With a raw key (`PRAGMA key = "x'...'"`) the key is the AES key
itself; the HMAC key is PBKDF2-HMAC-SHA512(key, salt XOR 0x3a, 2 iterations, 32 bytes). The HMAC
covers the page's ciphertext and IV followed by the page number as 4 little-endian bytes, so a
page that verifies was decrypted with the right keys. A WAL file has a 32-byte header, then
frames of a 24-byte header (page number big-endian first) and one encrypted page.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
SALT = 16
IV = 16
MAC = 64
RESERVE = IV + MAC


@dataclass(frozen=True)
class Keys:
    aes: bytes
    mac: bytes


def keys_for(raw_key: bytes, salt: bytes) -> Keys:
    mac_salt = bytes(b ^ 0x3A for b in salt)
    return Keys(bytes(raw_key), hashlib.pbkdf2_hmac("sha512", bytes(raw_key), mac_salt, 2, 32))


def decrypt_page(keys: Keys, page: bytes, pgno: int) -> bytes:
    """The plaintext of one page (page 1 without its salt); ValueError when its HMAC fails."""
    if len(page) != PAGE:
        raise ValueError(f"page {pgno} is {len(page)} bytes")
    offset = SALT if pgno == 1 else 0
    body = page[offset:PAGE - RESERVE]
    iv = page[PAGE - RESERVE:PAGE - MAC]
    stored = page[PAGE - MAC:]
    computed = hmac.new(keys.mac, body + iv + struct.pack("<I", pgno), hashlib.sha512).digest()
    if not hmac.compare_digest(computed, stored):
        raise ValueError(f"page {pgno}: HMAC does not verify")
    decryptor = Cipher(algorithms.AES(keys.aes), modes.CBC(iv)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def database_pages(path: Path, raw_key: bytes) -> list[bytes]:
    data = Path(path).read_bytes()
    if not data:
        return []
    keys = keys_for(raw_key, data[:SALT])
    return [decrypt_page(keys, data[i:i + PAGE], i // PAGE + 1) for i in range(0, len(data) - len(data) % PAGE, PAGE)]


def wal_pages(path: Path, raw_key: bytes, salt: bytes) -> list[bytes]:
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    keys = keys_for(raw_key, salt)
    pages = []
    position = 32
    while position + 24 + PAGE <= len(data):
        pgno = struct.unpack(">I", data[position:position + 4])[0]
        frame = data[position + 24:position + 24 + PAGE]
        try:
            pages.append(decrypt_page(keys, frame, pgno))
        except ValueError:
            # A frame left over from an earlier generation of the log may not verify: it is still
            # checked as raw bytes by the caller.
            pages.append(frame)
        position += 24 + PAGE
    return pages


def needles(text: str) -> list[bytes]:
    """The text as UTF-8 and UTF-16 (both byte orders), and lower-cased (the full-text index folds case)."""
    out = []
    for variant in {text, text.lower()}:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            out.append(variant.encode(encoding))
    return out


def find(text: str, pages: list[bytes]) -> list[tuple[int, str]]:
    """(page index, encoding) of every page holding the text in any of its encodings."""
    hits = []
    for n, page in enumerate(pages):
        lowered = page.lower()
        for needle in needles(text):
            if needle in page or needle.lower() in lowered:
                hits.append((n, repr(needle[:8])))
                break
    return hits
