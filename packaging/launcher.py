"""The bundle's entry script: the same as the installed `trading-dashboard` command."""

import sys

from desktop_app.app import main

if __name__ == "__main__":
    sys.exit(main())
