"""The frozen bundle's entry point: `app.cli:main`, as the `spocdesk` console script runs it.

One extra duty: `spocdesk self-test` probes Qt in a child process (a broken platform plugin
aborts the process that loads it). From Python the child is `python -m ui.qt_probe`; a frozen
executable cannot take `-m`, so the self-test starts this launcher again with
SPOCDESK_SELFTEST_PROBE=qt in its environment and the launcher runs the probe instead.
"""

import os
import sys


def _launch() -> int:
    if os.environ.pop("SPOCDESK_SELFTEST_PROBE", "") == "qt":
        from ui.qt_probe import main as probe

        return probe()
    from app.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(_launch())
