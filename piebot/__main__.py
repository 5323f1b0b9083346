import sys

from piebot.cli import main

sys.exit(main())
