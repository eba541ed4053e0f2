"""Printing for real: a private CUPS server (its own configuration, spool, socket and port) with a
CUPS-PDF queue; the app's print path (ReportPreview.print_to with a QPrinter naming the queue, no
dialog) prints a collation and a meeting pack, and the PDF the queue wrote carries the
OFFICIAL-SENSITIVE marking on every page (pdftotext). Printing is audited; a printer that fails
says so in words and nothing is recorded as printed.

Needs Debian's `cups` and `printer-driver-cups-pdf` (scripts/install-system-packages.sh) and root,
because CUPS-PDF reads its per-queue configuration from /etc/cups (written for the test's queue
only, and removed after)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from app import meetings as mt
from app import requests as rq
from app import responses as rs
from app.reports import build_report
from app.reports.printing import PrinterError, send_to_queue
from desk_helpers import make_desk, request_data, response_data
from fake_session import FakeSession
from ui.kit.preview import ReportPreview

pytestmark = pytest.mark.slow
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cups_pdf(monkeypatch):
    """(queue name, the folder CUPS-PDF writes into) on a private cupsd, stopped afterwards."""
    missing = [tool for tool in ("cupsd", "lpadmin", "lp", "pdftotext") if shutil.which(tool) is None]
    if missing or not Path("/usr/lib/cups/backend/cups-pdf").exists() or not PPD.exists():
        pytest.skip("needs Debian cups and printer-driver-cups-pdf (scripts/install-system-packages.sh); missing: "
                    + ", ".join(missing or ["the cups-pdf backend"]))
    if os.geteuid() != 0:
        pytest.skip("CUPS-PDF reads its queue's configuration from /etc/cups; run as root (as in CI)")
    # A short folder of its own under /tmp: CUPS-PDF garbles long paths in its configuration, and
    # the filters, run as the lp user, must reach CUPS's TempDir.
    root = Path(tempfile.mkdtemp(prefix="spc", dir="/tmp"))
    os.chmod(root, 0o755)
    dirs = {name: root / name for name in ("etc", "spool", "cache", "state", "log", "tmp", "out", "pdfspool")}
    for path in dirs.values():
        path.mkdir()
    os.chmod(dirs["tmp"], 0o1777)
    os.chmod(dirs["out"], 0o777)
    os.chmod(dirs["pdfspool"], 0o777)
    sock = root / "cups.sock"
    (dirs["etc"] / "cupsd.conf").write_text(
        f"Listen {sock}\nListen 127.0.0.1:{_free_port()}\nLogLevel warn\nWebInterface No\nBrowsing Off\n"
        "DefaultAuthType None\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n")
    (dirs["etc"] / "cups-files.conf").write_text(
        f"ServerRoot {dirs['etc']}\nRequestRoot {dirs['spool']}\nCacheDir {dirs['cache']}\nStateDir {dirs['state']}\n"
        f"TempDir {dirs['tmp']}\nErrorLog {dirs['log']}/error_log\nAccessLog {dirs['log']}/access_log\n"
        f"PageLog {dirs['log']}/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\nSandboxing Relaxed\n")
    queue = f"spocdesk-test-{uuid.uuid4().hex[:8]}"
    queue_conf = Path(f"/etc/cups/cups-pdf-{queue}.conf")
    queue_conf.write_text(f"Out {dirs['out']}\nAnonDirName {dirs['out']}\nSpool {dirs['pdfspool']}\n")
    server = subprocess.Popen(["cupsd", "-f", "-c", str(dirs["etc"] / "cupsd.conf"),
                               "-s", str(dirs["etc"] / "cups-files.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    monkeypatch.setenv("CUPS_SERVER", str(sock))
    try:
        deadline = time.monotonic() + 20
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not sock.exists():
            pytest.fail("the private cupsd did not start: " + (dirs["log"] / "error_log").read_text()[-2000:]
                        if (dirs["log"] / "error_log").exists() else "the private cupsd did not start")
        subprocess.run(["lpadmin", "-p", queue, "-E", "-v", f"cups-pdf:/{queue}", "-P", str(PPD)],
                       check=True, capture_output=True)
        yield queue, dirs["out"]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        queue_conf.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)


def wait_for_pdf(queue: str, folder: Path, seen: set, timeout: float = 120) -> Path:
    """The next PDF the queue writes, once CUPS says the job is done (CUPS-PDF names the file
    from the job; the tests print one job at a time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = subprocess.run(["lpstat", "-o", queue], capture_output=True).stdout.strip()
        found = [p for p in folder.glob("*.pdf") if p not in seen and p.stat().st_size > 0]
        if found and not pending:
            seen.add(found[0])
            return found[0]
        time.sleep(0.25)
    raise AssertionError(f"CUPS-PDF wrote no new PDF into {folder}: {sorted(os.listdir(folder))}")


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    pages = text.decode("utf-8", "replace").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def printed_events(vault, reference: str) -> int:
    return vault.db.scalar("SELECT count(*) FROM audit_events WHERE action = 'report.printed' AND record_id = ?",
                           (reference,))


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(vault, request_data(information="Seen at the house. <b>not bold</b> & more"))
    sent = {d.agency: d for d in rq.send_to_agencies(vault, request.id, ["HMRC", "GLAA"])}
    rs.receive_response(vault, sent["HMRC"].id, response_data(disclosed_text="Employer: " + "Example Ltd. " * 400))
    meeting = mt.create_meeting(vault, {"held_at": "01/04/2026 10:00", "place": "Ripley HQ", "chair": "DI Clarke",
                                        "chair_agency": "DCON"})
    yield vault, request, meeting
    vault.close()


def test_a_collation_and_a_meeting_pack_print_marked_on_every_page(qtbot, cups_pdf, desk):
    queue, out = cups_pdf
    vault, request, meeting = desk
    session = FakeSession(vault)
    seen: set = set()
    for kind, reference in (("collation", request.reference), ("meeting-pack", meeting.reference)):
        report = build_report(vault, kind, reference)
        preview = ReportPreview(session, report)
        qtbot.addWidget(preview)
        printer = preview.printer(queue)
        assert preview.print_to(printer), preview.status.text()
        assert "Sent" in preview.status.text() and printed_events(vault, reference) == 1
        pdf = wait_for_pdf(queue, out, seen)
        pages = page_texts(pdf)
        assert len(pages) == report.page_count, f"{kind}: {len(pages)} pages printed of {report.page_count}"
        for number, text in enumerate(pages, start=1):
            assert text.count("OFFICIAL-SENSITIVE") >= 2, f"{kind} page {number} lacks the marking top and bottom"
            assert f"Page {number} of {report.page_count}" in text and reference in text
        if kind == "collation":
            assert report.page_count >= 2   # the long answer runs over more than one page


def test_a_printer_that_fails_says_so_and_nothing_is_recorded(qtbot, cups_pdf, desk):
    queue, out = cups_pdf
    vault, request, _ = desk
    preview = ReportPreview(FakeSession(vault), build_report(vault, "collation", request.reference))
    qtbot.addWidget(preview)
    assert not preview.print_to(preview.printer("no-such-queue"))
    said = preview.status.text()
    assert said.startswith("The document was not printed: the printer “no-such-queue” did not take it: "
                           "The printer or class does not exist. Check the printer")
    assert "nothing was recorded as printed" in said
    assert printed_events(vault, request.reference) == 0
    assert not preview.print_to(preview.printer("-d evil"))   # never taken as an option of lp
    assert "is not the name of a print queue" in preview.status.text()
    assert printed_events(vault, request.reference) == 0 and list(out.glob("*.pdf")) == []
    # A real queue that refuses jobs: lp's own refusal, in words.
    subprocess.run(["cupsreject", queue], check=True, capture_output=True)
    assert not preview.print_to(preview.printer(queue))
    said = preview.status.text()
    assert said.startswith(f"The document was not printed: the printer “{queue}” did not take it: ")
    assert "not accepting jobs" in said and printed_events(vault, request.reference) == 0
    with pytest.raises(PrinterError, match="not accepting jobs"):
        send_to_queue(preview.report.data, queue, title="x")   # lp's own refusal, in its words
    assert list(out.glob("*.pdf")) == []
