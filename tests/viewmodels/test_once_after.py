"""An action requested many times within one change runs once, when the change ends."""

from __future__ import annotations

import pytest

from desktop_app.viewmodels.once_after import OnceAfter


def test_outside_a_change_each_request_runs_at_once() -> None:
    runs: list[int] = []
    once = OnceAfter(lambda: runs.append(1))
    once.request()
    once.request()
    assert runs == [1, 1]


def test_within_changes_it_runs_once_when_the_outermost_ends() -> None:
    runs: list[int] = []
    once = OnceAfter(lambda: runs.append(1))
    with once:
        once.request()
        with once:
            once.request()
            once.request()
        assert runs == []  # an inner change ending is not the end
    assert runs == [1]
    with once:
        pass
    assert runs == [1]  # nothing requested: nothing run


def test_a_change_that_fails_still_runs_what_it_asked_for() -> None:
    runs: list[int] = []
    once = OnceAfter(lambda: runs.append(1))
    with pytest.raises(ValueError), once:
        once.request()
        raise ValueError("a step of the change failed")
    assert runs == [1]
    once.request()
    assert runs == [1, 1]  # and the next request runs at once again
