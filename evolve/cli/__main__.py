"""``python -m evolve.cli``: the same as the ``evolve`` command."""

import sys

from evolve.cli import main

sys.exit(main())
