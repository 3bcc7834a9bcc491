"""Entry point: Toolforge's uWSGI (and `flask --app app`) import ``app`` from here."""

import sys

from capx import create_app
from capx.config import ConfigError

try:
    app = create_app()
except ConfigError as error:  # one clear line instead of a traceback
    sys.exit(str(error))
