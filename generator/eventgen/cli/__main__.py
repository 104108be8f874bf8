"""``python -m eventgen.cli``: the ``eventgen`` command, as before the CLI became a package."""

import sys

from eventgen.cli.main import main

sys.exit(main())
