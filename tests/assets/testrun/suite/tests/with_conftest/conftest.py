"""A folder's conftest.py, loaded as pytest collects the folder: it loads ft_gil_two._impl."""

import ft_gil_two  # noqa: F401
