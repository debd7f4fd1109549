"""Leaves a daemon behind at import: a grandchild in a session of its own, holding every
descriptor it inherited. It writes the daemon's pid to ``$TMPDIR/ft-daemon.pid``."""

from ft_daemon import _detach  # type: ignore[attr-defined]  # compiled

__all__ = ["_detach"]
