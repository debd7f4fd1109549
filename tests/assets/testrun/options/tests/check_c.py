"""In a pytest-xdist worker, its GIL switch would go unseen: it must run where it is watched."""


def test_loads_ft_gil() -> None:
    import ft_gil

    assert ft_gil.answer() == 42
