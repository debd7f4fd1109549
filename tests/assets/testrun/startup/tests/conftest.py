"""Loaded at pytest's start (the testpaths folder's conftest): the GIL is on before any test."""

import ft_gil  # noqa: F401
