"""The suite runs on what uv.lock pins: ft-gil 1.0, not the newest release."""

from importlib.metadata import version


def test_the_locked_version_is_installed() -> None:
    assert version("ft-gil") == "1.0"


def test_answer() -> None:
    import ft_gil  # its extension switches the GIL on: gil-enabled

    assert ft_gil.answer() == 42
