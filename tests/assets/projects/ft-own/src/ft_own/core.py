"""The part of ft-own that needs ft-gil."""

import json

import ft_gil


def answer() -> str:
    """Return ft-gil's answer, as JSON."""
    return json.dumps(ft_gil.answer())
