from desktop_app.display_check import display_problem


def test_offscreen_needs_no_display() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") == ""


def test_no_display_names_the_fix() -> None:
    msg = display_problem({}, platform="linux")
    assert "DISPLAY" in msg and "Xvfb" in msg and "--smoke" in msg


def test_wayland_session_is_fine() -> None:
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux") == ""


def test_other_platforms_are_left_to_qt() -> None:
    assert display_problem({}, platform="darwin") == ""


def test_missing_xcb_libraries_are_named(monkeypatch) -> None:
    monkeypatch.setattr("ctypes.util.find_library", lambda name: None)
    msg = display_problem({"DISPLAY": ":0"}, platform="linux")
    assert "libxcb-cursor0" in msg and "apt-get install" in msg


def test_a_bundle_brings_its_own_xcb_libraries(monkeypatch, tmp_path) -> None:
    """A PyInstaller app folder ships the xcb libraries; the system need not have them."""
    monkeypatch.setattr("ctypes.util.find_library", lambda name: None)
    for lib in ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"):
        (tmp_path / lib).write_bytes(b"")
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    assert display_problem({"DISPLAY": ":0"}, platform="linux") == ""
    (tmp_path / "libxcb-keysyms.so.1").unlink()
    assert "libxcb-keysyms1" in display_problem({"DISPLAY": ":0"}, platform="linux")
