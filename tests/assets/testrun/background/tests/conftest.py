"""A thread that test_first leaves behind imports ft_gil as test_second is about to start.

pytest_runtest_logstart runs outside every phase of a test: the import lands between two
tests, where no phase is watched, as a real background thread's would at any moment.
"""

import threading

import pytest

GO = threading.Event()
LEFT_BEHIND: list[threading.Thread] = []


def _load_later() -> None:
    GO.wait(60)
    import ft_gil  # noqa: F401


@pytest.fixture
def leave_a_thread() -> None:
    thread = threading.Thread(target=_load_later, daemon=True)
    thread.start()
    LEFT_BEHIND.append(thread)


def pytest_runtest_logstart(nodeid: str) -> None:
    if nodeid.endswith("::test_second"):
        GO.set()
        for thread in LEFT_BEHIND:
            thread.join(60)
