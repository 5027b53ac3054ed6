import sys

from enamel_hipaa.cli import main

sys.exit(main())
