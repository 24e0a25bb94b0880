"""`python -m desktop_app` is the same as the `trading-dashboard` command."""

import sys

from desktop_app.app import main

sys.exit(main())
