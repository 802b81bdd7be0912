import sys

from captag_desktop.cli import main

sys.exit(main())
