"""The logging set-up: records of every logger are masked before any handler, a file in
the log folder with rotation, uncaught exceptions logged masked."""

from __future__ import annotations

import logging
import logging.handlers
import sys

import pytest

from desktop_app.logs import LOG_FILE_NAME, RedactingFilter, redact_record, setup_logging
from desktop_app.net.redact import MASK, register_secret
from desktop_app.storage import paths


def _record(name: str, msg: str, *args: object, **kw: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, msg, args, None, **kw)


def test_a_record_is_masked_message_arguments_and_traceback() -> None:
    register_secret("log-secret-7777")
    try:
        raise ValueError("bad value log-secret-7777")
    except ValueError:
        info = sys.exc_info()
    record = logging.LogRecord("qasync", logging.DEBUG, __file__, 1,
                               "got callback %s with args %s", ("f", ("log-secret-7777",)),
                               info)
    redact_record(record)
    text = logging.Formatter().format(record)
    assert "log-secret-7777" not in text and MASK in text and "ValueError" in text


def test_a_record_whose_arguments_do_not_format_never_shows_them() -> None:
    record = _record("x", "%d items", "log-secret-8888-not-known")
    assert RedactingFilter().filter(record) is True
    assert "log-secret-8888" not in record.getMessage()


def test_setup_writes_to_a_rotating_file_in_the_log_folder(isolated_dirs) -> None:
    setup = setup_logging()
    try:
        assert paths.log_dir() == isolated_dirs / "logs"
        assert setup.file == isolated_dirs / "logs" / LOG_FILE_NAME
        [handler] = [h for h in logging.getLogger().handlers
                     if isinstance(h, logging.handlers.RotatingFileHandler)]
        assert handler.maxBytes > 0 and handler.backupCount >= 3
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        register_secret("file-secret-9999")
        # A logger we do not own, with a handler we do not own, still gets masked records.
        foreign = logging.getLogger("httpcore.test")
        captured: list[str] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                captured.append(record.getMessage())

        foreign.addHandler(Keep())
        foreign.warning("header (b'cst', b'%s') and file-secret-9999", "cst-value-1234")
        for h in logging.getLogger().handlers:
            h.flush()
        text = setup.file.read_text()
        assert "header" in text and "cst-value-1234" not in text
        assert "file-secret-9999" not in text and "file-secret-9999" not in captured[0]
        assert "cst-value-1234" not in captured[0]
    finally:
        setup.close()
    assert logging.getLogRecordFactory() is logging.LogRecord


def test_a_log_folder_that_cannot_be_made_is_a_note_not_a_crash(isolated_dirs,
                                                               capsys) -> None:
    (isolated_dirs / "logs").write_text("a file where the folder should be")
    setup = setup_logging()
    try:
        assert setup.file is None
        assert setup.notes and "log file could not be opened" in setup.notes[0]
    finally:
        setup.close()


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_debug_from_the_environment(monkeypatch, value) -> None:
    monkeypatch.setenv("TRADING_DASHBOARD_DEBUG", value)
    setup = setup_logging()
    try:
        assert setup.level == logging.DEBUG
    finally:
        setup.close()


def test_every_registered_broker_s_secret_fields_are_masked_by_name() -> None:
    from desktop_app.brokers.registry import broker_specs
    from desktop_app.net.redact import redact_log_text

    setup = setup_logging()
    try:
        for spec in broker_specs():
            for field in (f for f in spec.credential_fields if f.secret):
                line = f"credentials={{'{field.name}': 'never-known-value-42'}}"
                assert "never-known-value-42" not in redact_log_text(line), field.name
    finally:
        setup.close()
