"""Logging for every memoria process: readable text by default, one JSON object per line on request.

`MEMORIA_LOG_FORMAT=json` suits log collectors (Loki, CloudWatch, Datadog): each record is an
object with `time`, `level`, `logger`, `message`, and the fields a call site passes in
`extra=` (e.g. persist's per-turn `tenant_id`, `strategy`, `results`). Fields carry ids and
counts, never message text.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from `extra=` (uvicorn's
# `color_message` is its message again, with terminal colours).
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON, with its `extra=` fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON object on one line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRS)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def formatter(fmt: Literal["text", "json"]) -> logging.Formatter:
    """Return the formatter for `fmt`."""
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(fmt: Literal["text", "json"], level: int = logging.INFO) -> None:
    """Send every logger (uvicorn's included) to stderr in `fmt`.

    JSON also turns tqdm's progress bars off (model loading, ingestion): a collector reading
    stderr line by line would get them as garbage.
    """
    if fmt == "json":
        os.environ["TQDM_DISABLE"] = "1"
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []  # propagate to the root's handler
        logging.getLogger(name).propagate = True
