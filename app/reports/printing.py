"""Sending a document to a print queue (CUPS) as it is: the marked PDF itself, through the `lp`
client, so the printer receives the vector document (text, not a picture of it) and the
OFFICIAL-SENSITIVE marking stays on every page. Nothing is written to disk by this module: the
PDF goes to `lp` on its standard input. A queue that refuses the job is said in words.

Where there is no `lp` (or the user prints to a file), the desktop renders the pages itself
(ui.kit.preview.print_pdf)."""

from __future__ import annotations

import re
import shutil
import subprocess

QUEUE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}")


class PrinterError(OSError):
    """The printer did not take the document; the message says why, in words."""


def lp_available() -> bool:
    return shutil.which("lp") is not None


def send_to_queue(data: bytes, queue: str, *, title: str, copies: int = 1, first: int = 0, last: int = 0,
                  timeout: float = 60) -> None:
    """Give the PDF `data` to the CUPS queue `queue` (pages `first`..`last`, all when 0)."""
    if not QUEUE_NAME.fullmatch(queue or ""):
        raise PrinterError(f"“{queue}” is not the name of a print queue")
    lp = shutil.which("lp")
    if lp is None:
        raise PrinterError("this computer has no print service (lp)")
    args = [lp, "-d", queue, "-t", title, "-n", str(max(1, int(copies))), "-o", "media=A4"]
    if first > 0 and last >= first:
        args += ["-P", f"{int(first)}-{int(last)}"]
    try:
        done = subprocess.run(args, input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PrinterError(f"the printer “{queue}” did not answer within {int(timeout)} seconds") from None
    if done.returncode != 0:
        said = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        reason = said[0] if said else f"lp stopped with code {done.returncode}"
        reason = re.sub(r"^(\S*/)?lp:\s*(Error\s*-\s*)?", "", reason)[:200].rstrip(".")
        raise PrinterError(f"the printer “{queue}” did not take it: {reason}")
