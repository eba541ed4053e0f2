"""The console script and the frozen bundle's entry point, above both layers.

No arguments and `open VAULT` start the desktop (ui/); the Qt probe of `spocdesk self-test`
runs here when SPOCDESK_SELFTEST_PROBE=qt is set in the child's environment (a frozen executable
cannot take `-m`, and a broken platform plugin must abort the child, not the self-test);
everything else is the headless command line, app.cli. So app/ never names ui/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

PROBE_ENV = "SPOCDESK_SELFTEST_PROBE"  # the same name as app.selftest.PROBE_ENV (a test checks)


def desktop(vault: str | None) -> int:
    """The desktop app; Qt is imported only here, so the headless commands never load it."""
    from app.errors import SpocError
    from app.logsetup import setup_logging

    setup_logging()
    try:
        from ui.shell.app import run
    except ImportError as exc:
        raise SpocError(f"The desktop app cannot start: Qt is not installed here ({exc.name}).") from None
    return run(Path(vault) if vault else None)


def main(argv: Sequence[str] | None = None) -> int:
    if os.environ.pop(PROBE_ENV, "") == "qt":
        from ui.qt_probe import main as probe

        return probe()
    from app.cli import main as cli_main

    return cli_main(argv, desktop=desktop)


if __name__ == "__main__":
    sys.exit(main())
