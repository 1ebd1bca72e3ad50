"""`python -m bot.cli ...`: the same as `msp ...` (the tests and benchmarks start it so)."""

import sys

from bot.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
