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
