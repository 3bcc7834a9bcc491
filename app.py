"""Entry point: Toolforge's uWSGI (and `flask --app app`) import ``app`` from here."""

import sys

from capx import create_app
from capx.config import ConfigError

# `flask capx check-config` reports everything a deployment lacks, so it may load a half-configured
# app; the webservice (uWSGI) and every other command refuse to start instead.
CHECKING_CONFIG = sys.argv[-2:] == ["capx", "check-config"]

try:
    app = create_app(refuse_incomplete=not CHECKING_CONFIG)
except ConfigError as error:  # one clear line instead of a traceback
    sys.exit(str(error))
