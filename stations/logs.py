"""One format for every line the service's processes log, uvicorn's access lines included."""

import logging
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# For uvicorn, which configures logging again in every API process it starts: its own formatters
# colour each line and copy each access record first, and put no time on the line.
UVICORN: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": FORMAT}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
}


def configure() -> None:
    logging.basicConfig(level=logging.INFO, format=FORMAT)
