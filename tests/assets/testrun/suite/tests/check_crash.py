"""crashed: the extension's module execution raises SIGSEGV; the next test still runs."""


def test_segfault() -> None:
    import ft_segfault  # noqa: F401  # dies here


def test_after_the_crash() -> None:
    from ft_suite import double

    assert double(2) == 4
