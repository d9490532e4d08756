"""``python -m hpobench`` runs the command line."""

import sys

from .cli import main

# Guarded: Dask's worker processes are spawned and re-import the main module.
if __name__ == "__main__":
    sys.exit(main())
