"""gil-enabled in the call: the test imports ft_gil, whose extension has no Py_mod_gil slot."""


def test_answer() -> None:
    import ft_gil

    assert ft_gil.answer() == 42
