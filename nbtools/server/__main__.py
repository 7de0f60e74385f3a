"""``python -m nbtools.server [options]`` runs a server in the foreground: the same as ``nbtools serve``."""

import sys

from ..cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
