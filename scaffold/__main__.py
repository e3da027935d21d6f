import sys

from scaffold.service import main

sys.exit(main())
