"""After a module that cannot be collected (check_broken.py sorts after it)."""


def test_passes() -> None:
    assert True
