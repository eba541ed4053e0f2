"""The frozen bundle's entry point: the same launcher as the `spocdesk` console script
(spocdesk.launcher: the desktop, the self-test's Qt probe, or the command line)."""

import sys

from spocdesk.launcher import main

if __name__ == "__main__":
    sys.exit(main())
