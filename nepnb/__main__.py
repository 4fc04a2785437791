import sys

from nepnb.cli.main import main

sys.exit(main())
