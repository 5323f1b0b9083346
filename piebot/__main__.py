"""`python -m piebot`: the same as the `piebot` command."""

import sys

from piebot.cli import main

sys.exit(main())
