"""What every uv and pip command readiness runs shares: its environment and its index flags."""

from __future__ import annotations

from readiness._process import clean_environment
from readiness.model import IndexOptions


def index_arguments(options: IndexOptions | None) -> list[str]:
    """Return pip's flags for ``options``; ``uv pip install`` accepts the same ones."""
    if options is None:
        return []
    arguments: list[str] = []
    if options.index_url is not None:
        arguments += ["--index-url", options.index_url]
    for url in options.extra_index_urls:
        arguments += ["--extra-index-url", url]
    for location in options.find_links:
        arguments += ["--find-links", location]
    if options.no_index:
        arguments.append("--no-index")
    return arguments


def installer_environment() -> dict[str, str]:
    """Return our environment for an installer, minus what would change the probed Python.

    The user's pip and uv settings (``PIP_*``, ``UV_*``, configuration files) are kept on
    purpose: their index, certificates and proxies are what reaches their distributions.
    """
    # Not a question for the user of readiness, and noise in every reason.
    return clean_environment() | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}
