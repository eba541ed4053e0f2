import sys

from spocdesk.launcher import main

sys.exit(main())
