"""The ``--installer`` choice, shared by ``scan`` and ``deps``: uv or pip, for both jobs.

It is defined with the parser, in :mod:`readiness._arguments`, which builds the command line
without importing the installers; the installer is imported when the choice builds it.
"""

from __future__ import annotations

from readiness._arguments import InstallerChoice as InstallerChoice
