import gc
import threading

from PySide6.QtCore import QObject, QTimer

from desktop_app.viewmodels.gc_guard import GcGuard


class Cyclic(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.start(1000)
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_cycles_are_collected_on_the_gui_thread_only(qapp) -> None:
    before = gc.isenabled()
    gc.enable()
    guard = GcGuard()
    try:
        assert not gc.isenabled()
        Cyclic()  # garbage in a cycle, holding a running QTimer
        # Allocate plenty in another thread: with automatic collection this could free the
        # QObject there ("Timers cannot be stopped from another thread").
        worker = threading.Thread(target=lambda: [[i] for i in range(200_000)])
        worker.start()
        worker.join()
        assert any(type(o) is Cyclic for o in gc.get_objects())
        guard.check()
        gc.collect()  # what check() does once the thresholds are passed
        assert not any(type(o) is Cyclic for o in gc.get_objects())
    finally:
        guard.stop()
    assert gc.isenabled()  # given back as it was found
    if not before:
        gc.disable()
