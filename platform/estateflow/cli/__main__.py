import sys

from estateflow.cli import main

sys.exit(main())
