"""What a distribution's file name says: its name and version (a wheel's, an sdist's)."""

from __future__ import annotations

from packaging.utils import NormalizedName, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version


def distribution_of_file(filename: str) -> tuple[NormalizedName, Version] | None:
    """Return the name and version ``filename`` says, as a wheel or an sdist; None if neither.

    The spellings are the binary distribution format's and the source distribution format's
    (packaging.python.org/specifications), as ``packaging.utils`` reads them.
    """
    # InvalidWheelFilename and InvalidSdistFilename are ValueErrors, as is a version past
    # Python's digit limit.
    try:
        return parse_wheel_filename(filename)[:2]
    except ValueError:
        pass
    try:
        return parse_sdist_filename(filename)
    except ValueError:
        return None
