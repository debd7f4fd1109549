"""gil-enabled at collection: importing this module loads ft_gil_two._impl (no Py_mod_gil)."""

import ft_gil_two


def test_module_loaded() -> None:
    assert ft_gil_two._impl is not None
