"""One format for every line the service's processes log, uvicorn's access lines included."""

import logging
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# For uvicorn, which configures logging again in every API process it starts. Its own formatters
# coloured each line and copied each access record first: 17 µs an access line against 10 for a
# plain one (bench/README section 21), and no time on the line.
UVICORN: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": FORMAT}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
}


def configure() -> None:
    logging.basicConfig(level=logging.INFO, format=FORMAT)
