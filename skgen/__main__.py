"""``python -m skgen``: the ``skgen`` command line (see :mod:`skgen.cli`)."""

import sys

from .cli import main

sys.exit(main())
