"""`python -m sitrep ...`: the command line."""
import sys

from sitrep.cli import main

sys.exit(main())
