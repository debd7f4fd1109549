"""Beside a conftest.py that switches the GIL on: the folder is decided at collection."""


def test_beside_the_conftest() -> None:
    assert True
