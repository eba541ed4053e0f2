"""Run as a subprocess by the canary test (never collected: no test_ prefix).

    python helpers_session.py VAULT USER OUT_FOLDER CANARY

One working session of a SPOC, with the desk's log file on: create a request naming the canary
(subject, information, check request), send it, search for it, export it to an exchange file in
OUT_FOLDER (the user's choice), build its printed request and collation and save the request PDF
in OUT_FOLDER (the user's choice, audited as saved), record a response; then print `READY` and
keep writing requests in transactions (printing each number) until killed with SIGKILL, the
vault still open. The passphrase comes from SPOCDESK_TEST_PASSPHRASE.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.vault import crypto

crypto.SCRYPT_N = 2**10
crypto.ARGON2_MEMORY_KIB, crypto.ARGON2_ITERATIONS = 64, 1


def main(argv: list[str]) -> int:
    from app import exchange, logsetup
    from app.reports import build_report, record_use, save_pdf
    from app.requests import create_request, get_request, send_to_agencies
    from app.responses import receive_response
    from app.search import search
    from app.vault import Vault
    from desk_helpers import request_data, response_data

    path, user, out, canary = Path(argv[1]), argv[2], Path(argv[3]), argv[4]
    logsetup.setup_logging()
    vault = Vault.open(path, user=user, passphrase=os.environ["SPOCDESK_TEST_PASSPHRASE"])
    subjects = request_data()["subjects"]
    subjects[0] = {"subject": {"kind": "person", "name": canary, "aliases": [canary.lower()],
                               "addresses": [f"{canary} House, Derby"]}, "role": "suspected-perpetrator"}
    request = create_request(vault, request_data(information=f"Seen with {canary} at 5am.",
                                                 check_request=f"Check {canary}.", subjects=subjects))
    send_to_agencies(vault, request.id, ["HMRC", "GLAA"])
    found = search(vault, canary.split()[1])
    assert any(h.reference == request.reference for h in found.hits), found
    doc = exchange.export_request(vault, request.reference, to=["HMRC"])
    exchange.write_file(doc, out / "exchange.json")
    dispatch = next(d for d in get_request(vault, request.id).dispatches if d.agency == "HMRC")
    receive_response(vault, dispatch.id, response_data(disclosed_text=f"{canary} is employed by Example Ltd."))
    printed = build_report(vault, "request", request.reference)
    save_pdf(printed.data, out / printed.filename)
    record_use(vault, printed, "saved")
    record_use(vault, build_report(vault, "collation", request.reference), "previewed")
    print("READY", request.reference, flush=True)
    n = 0
    while True:  # the session carries on until the crash
        n += 1
        create_request(vault, request_data(information=f"Later note {n} on {canary}."))
        print(n, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
