"""import-linter cannot forbid a submodule of an external package, so check this one here."""

import re
from pathlib import Path

import desktop_app.viewmodels as vm_pkg


def test_viewmodels_never_import_qtwidgets() -> None:
    root = Path(vm_pkg.__file__).parent
    offenders = [
        f"{p.name}:{n}"
        for p in root.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.match(r"\s*(from|import)\s+PySide6\.QtWidgets\b", line)
    ]
    assert not offenders
