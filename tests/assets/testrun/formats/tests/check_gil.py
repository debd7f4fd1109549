"""gil-enabled in the call: ft_gil's extension has no Py_mod_gil slot."""


def test_loads_ft_gil() -> None:
    import ft_gil

    assert ft_gil.answer() == 42
