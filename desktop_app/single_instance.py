"""A second start on the same data folder raises the running window instead.

The running app listens on a local socket named after its data folder (QLocalServer:
a Unix socket, a named pipe on Windows); a second start, refused by the folder's lock
(``storage.instance_lock``), connects, says ``raise`` and waits for ``ok``.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

REQUEST = b"raise\n"
ANSWER = b"ok\n"


def server_name(folder: Path) -> str:
    digest = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:20]
    return f"trading-dashboard-{digest}"


def ask_running_to_raise(folder: Path, timeout_ms: int = 3000) -> bool:
    """Ask the app that holds ``folder`` to show its window; True when it said so."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(folder))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(REQUEST)
    socket.flush()
    answer = b""
    while ANSWER not in answer and socket.waitForReadyRead(timeout_ms):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return ANSWER in answer


class RaiseServer(QObject):
    """Listens for ``raise`` from later starts; emits ``raiseRequested``."""

    raiseRequested = Signal()

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(folder)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        # We hold the folder's lock, so a socket left by a crashed run is ours to remove.
        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            log.warning("cannot listen for a second start: %s", self._server.errorString())
        self._server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if REQUEST.strip() in bytes(socket.readAll().data()):
            log.info("a second start asked for the window")
            self.raiseRequested.emit()
            socket.write(ANSWER)
            socket.flush()

    def close(self) -> None:
        self._server.close()
