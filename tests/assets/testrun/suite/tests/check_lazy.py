"""gil-enabled on first use: ft_lazy is pure; its accelerator loads only when asked for."""

import ft_lazy


def test_accelerator() -> None:
    assert ft_lazy.accelerator() is not None
