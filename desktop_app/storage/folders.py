"""The folders the app needs, checked before anything opens a file in them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop_app.storage.paths import config_dir, data_dir


def unusable_folder() -> str:
    """A one-line reason why the app cannot start with its folders as they are, or "".

    Only a folder that cannot exist stops the start (a file in its place, a parent that
    is a file). A read-only one does not: the journal then says what it cannot do.
    """
    folders: tuple[tuple[str, Callable[..., Path]], ...] = (
        ("data", data_dir), ("settings", config_dir),
    )
    for label, folder in folders:
        path = folder(create=False)
        try:
            folder()
        except (FileExistsError, NotADirectoryError):
            return (
                f"the {label} folder {path} is a file, not a folder; "
                "rename or move that file, then start the app again"
            )
        except PermissionError:
            continue
        except OSError as exc:
            return f"the {label} folder {path} cannot be created ({exc.strerror or exc})"
    return ""
