"""A private-key credential field (``CredentialField.private_key``): PEM text pasted or
read from a file the trader picks. Only the PEM text is kept (and, on save, goes to the
keyring with the other secrets): never the file's path.

The text is checked for being one PEM private key (a ``-----BEGIN … PRIVATE KEY-----``
block, an encrypted one too); whether the broker accepts the key is learnt when the
connection signs its first request.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.viewmodels.tasks import TaskRunner

MAX_PEM_BYTES = 64 * 1024
PEM_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----\s+(.+?)\s*-----END \1-----", re.DOTALL
)


def pem_problem(text: str) -> str:
    """Why ``text`` is not a PEM private key ("" when it is one)."""
    stripped = text.strip()
    if not stripped:
        return "Paste the key's PEM text or choose its file."
    if len(stripped.encode("utf-8", "replace")) > MAX_PEM_BYTES:
        return "That is far too long for a private key (over 64 KB)."
    if "PUBLIC KEY-----" in stripped and "PRIVATE KEY-----" not in stripped:
        return "That is a public key: the connection needs the private key."
    found = PEM_BLOCK.search(stripped)
    if found is None:
        return ("Not a PEM private key: it starts with “-----BEGIN … PRIVATE KEY-----” and "
                "ends with the matching END line.")
    if len(PEM_BLOCK.findall(stripped)) > 1:
        return "More than one private key: give one."
    return ""


def describe_pem(text: str) -> str:
    """"EC private key, encrypted (0.4 KB)": what was given, without any of the key."""
    found = PEM_BLOCK.search(text)
    if found is None:
        return ""
    kind = found.group(1).replace("PRIVATE KEY", "").strip()
    encrypted = "ENCRYPTED" in kind or "Proc-Type: 4,ENCRYPTED" in found.group(2)
    kind = kind.replace("ENCRYPTED", "").strip()
    label = f"{kind} private key" if kind else "private key (PKCS#8)"
    size = len(text.encode("utf-8")) / 1024
    return f"{label}{', encrypted' if encrypted else ''} ({size:.1f} KB)"


def read_pem(path: str) -> str:
    file = Path(path)
    if file.stat().st_size > MAX_PEM_BYTES:
        raise ValueError("That file is far too big for a private key (over 64 KB).")
    return file.read_text(encoding="utf-8", errors="replace")


class PrivateKeyField(QObject):
    """One private-key input of the connections dialog."""

    changed = Signal()

    def __init__(self, name: str, parent: QObject | None = None, *,
                 keep_unchanged: bool = False) -> None:
        super().__init__(parent)
        self.name = name
        self.tasks = TaskRunner(self)
        self.value = ""  # the PEM text; "" while none was given
        self.error = ""
        # Editing a saved connection: empty means "keep the stored key".
        self.keep_unchanged = keep_unchanged
        self.loading = False

    @property
    def status(self) -> str:
        if self.loading:
            return "Reading the key file…"
        if self.error:
            return self.error
        if self.value:
            return f"Key ready: {describe_pem(self.value)}. It goes to the keyring."
        if self.keep_unchanged:
            return "Unchanged: the stored key is kept (paste or choose a file to replace it)."
        return "Paste the PEM text or choose the key file."

    def paste(self, text: str) -> bool:
        """Take pasted text; False (and ``error``) when it is not one private key."""
        problem = pem_problem(text)
        if problem:
            self.error = problem
        else:
            self.value, self.error = text.strip() + "\n", ""
        self.changed.emit()
        return not problem

    def load_file(self, path: str) -> asyncio.Task[bool]:
        """Read a picked file off the loop; its text is taken like pasted text."""
        self.loading = True
        self.changed.emit()

        async def load() -> bool:
            try:
                text = await asyncio.to_thread(read_pem, path)
            except (OSError, ValueError) as exc:
                self.error = (str(exc) if isinstance(exc, ValueError)
                              else f"The file could not be read ({exc.strerror or exc}).")
                return False
            finally:
                self.loading = False
                self.changed.emit()
            return self.paste(text)

        return self.tasks.start(load())

    def clear(self) -> None:
        self.value = self.error = ""
        self.changed.emit()
