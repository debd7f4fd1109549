"""The first test fails: -x would end the session here."""


def test_fails_first() -> None:
    assert 1 == 2


def test_passes_after() -> None:
    assert True
