"""One format for every line the service's processes log, uvicorn's included: JSON objects
(`STATIONS_LOG_FORMAT=json`, production's default) or plain text, one a line, on stderr."""

import logging
import logging.config
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS

from api.observe import REQUEST_ID

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# And `ts`, and whatever a line adds (a request's); not uvicorn's copy of its message in colours.
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
# Their every step at INFO (the embedded server's initdb, each migration's): shown with --verbose.
CHATTY = ("pgserver", "yoyo")


class RequestId(logging.Filter):
    """Puts the id of the request being answered on every line logged meanwhile."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None and (request_id := REQUEST_ID.get()) is not None:
            record.request_id = request_id
        return True


def config(log_format: Literal["json", "text"], verbose: bool = False) -> dict[str, Any]:
    """For `logging.config.dictConfig`, and for uvicorn, which applies it in every API process."""
    formatter = {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS, "timestamp": "ts",
                 "rename_fields": {"levelname": "level", "name": "logger"}, "json_ensure_ascii": False,
                 "reserved_attrs": [*RESERVED_ATTRS, "color_message"]} \
        if log_format == "json" else {"format": TEXT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "stations.logs.RequestId"}},
        "formatters": {"line": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"],
                                "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {} if verbose else {name: {"level": "WARNING"} for name in CHATTY},
    }


def configure(log_format: Literal["json", "text"], verbose: bool = False) -> None:
    logging.config.dictConfig(config(log_format, verbose))
    logging.captureWarnings(True)  # a library's warning is a line like any other
