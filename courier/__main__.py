"""Allow `python -m courier`."""

import sys

from courier.cli import main

sys.exit(main())
