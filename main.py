"""Start the nnviz window: ``python main.py``."""

import sys

from nnviz.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
