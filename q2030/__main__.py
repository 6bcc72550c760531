import sys

from q2030.cli import main

sys.exit(main())
