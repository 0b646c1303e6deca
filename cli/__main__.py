"""``python -m cli``: the same as the ``onboard`` command."""

import sys

from cli.main import main

sys.exit(main())
