"""The app's one logging set-up: a rotating file in the platform's log folder, and every
record redacted before any handler sees it, whichever library logged it.

Redaction happens twice, on purpose: a record factory masks each record as it is made
(so handlers the app does not own, such as uvicorn's, get it masked too), and a filter on
every handler of the root logger masks whatever reaches them by another road. What is
masked: every secret value in use (``net.redact.KNOWN_SECRETS``: the keyring's values and
each client's keys, passwords and tokens, in plain, URL-encoded and base64 forms) and
the value of every secret-named header or field (CST, X-SECURITY-TOKEN, password, ...).

INFO by default; ``--debug`` or ``TRADING_DASHBOARD_DEBUG=1`` gives DEBUG for every
logger (qasync, httpcore, httpx, keyring included), also mirrored to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from desktop_app.net.redact import add_secret_field_names, redact_log_text
from desktop_app.storage.paths import log_dir

DEBUG_ENV = "TRADING_DASHBOARD_DEBUG"
LOG_FILE_NAME = "trading-dashboard.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s [%(threadName)s] %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# Loud at INFO and useless there (a line per HTTP request the poller makes).
QUIET_AT_INFO = ("httpx", "httpcore", "qasync", "asyncio", "uvicorn")
_DONE = "_trading_dashboard_redacted"


def debug_requested(flag: bool = False) -> bool:
    return flag or os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask secrets in the record's message, traceback and stack, in place (once)."""
    if getattr(record, _DONE, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: never let logging print the raw arguments
        message = f"{record.msg!r} (its arguments could not be formatted)"
    record.msg = redact_log_text(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_log_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_log_text(record.stack_info)
    setattr(record, _DONE, True)
    return record


class RedactingFilter(logging.Filter):
    """Attached to handlers: masks each record that reaches them; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _formatter() -> logging.Formatter:
    formatter = logging.Formatter(FORMAT, DATE_FORMAT)
    formatter.converter = time.gmtime  # UTC, as everywhere else in the app
    return formatter


@dataclass
class LogSetup:
    """What ``setup_logging`` did; ``close()`` undoes it (tests, a second start)."""

    level: int
    file: Path | None
    notes: list[str] = field(default_factory=list)
    handlers: list[logging.Handler] = field(default_factory=list)
    _factory: object = None
    _hooks: tuple[object, object] = (None, None)
    _levels: dict[str, int] = field(default_factory=dict)  # logger name -> level before

    @property
    def folder(self) -> Path | None:
        return self.file.parent if self.file else None

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        if self._factory is not None:
            logging.setLogRecordFactory(self._factory)  # type: ignore[arg-type]
        sys.excepthook, threading.excepthook = self._hooks  # type: ignore[assignment]
        for name, level in self._levels.items():
            logging.getLogger(name or None).setLevel(level)
        logging.captureWarnings(False)


def setup_logging(*, debug: bool = False, folder: Path | None = None) -> LogSetup:
    """Configure the root logger for the app; never raises (a log file that cannot be
    opened becomes a note for the window and records go to stderr instead)."""
    level = logging.DEBUG if debug_requested(debug) else logging.INFO
    add_secret_field_names(_broker_secret_fields())
    setup = LogSetup(level=level, file=None, _hooks=(sys.excepthook, threading.excepthook))
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))  # type: ignore[arg-type]

    logging.setLogRecordFactory(factory)
    setup._factory = previous
    try:
        path = (folder or log_dir()) / LOG_FILE_NAME
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
        setup.file = path
        setup.handlers.append(file_handler)
    except OSError as exc:
        where = folder or log_dir(create=False)
        setup.notes.append(
            f"The log file could not be opened in {where} ({exc.strerror or exc}); "
            "messages go to the terminal (stderr) for this run."
        )
        setup.handlers.append(_stderr_handler(logging.WARNING))
    if level == logging.DEBUG and setup.file is not None:
        setup.handlers.append(_stderr_handler(logging.DEBUG))
    root = logging.getLogger()
    for name in ("", *QUIET_AT_INFO):
        setup._levels[name] = logging.getLogger(name or None).level
    root.setLevel(level)
    for handler in setup.handlers:
        handler.setFormatter(_formatter())
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    for name in QUIET_AT_INFO:
        logging.getLogger(name).setLevel(logging.NOTSET if level == logging.DEBUG
                                         else logging.WARNING)
    logging.captureWarnings(True)  # Python warnings into the log file, not the terminal
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    logging.getLogger(__name__).info(
        "Trading Dashboard starting (pid %s, log level %s)", os.getpid(),
        logging.getLevelName(level),
    )
    return setup


def _broker_secret_fields() -> set[str]:
    """Every registered broker's secret credential field names (LWork's api_token, ...):
    their values are masked wherever a record shows them by name, known or not."""
    from desktop_app.brokers.registry import broker_specs

    return {f.name for spec in broker_specs() for f in spec.credential_fields if f.secret}


def _stderr_handler(level: int) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    return handler


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    """An exception nobody caught (a Qt slot's, say): logged, and shown masked."""
    if issubclass(kind, KeyboardInterrupt):
        return
    logging.getLogger("uncaught").error("uncaught exception", exc_info=(kind, value, tb))
    text = logging.Formatter().formatException((kind, value, tb))
    with contextlib.suppress(OSError, ValueError):
        print(redact_log_text(text), file=sys.stderr, flush=True)


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    thread = args.thread.name if args.thread else "?"
    logging.getLogger("uncaught").error(
        "uncaught exception in thread %s", thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
