"""Remedies proven on the probed interpreter: an upgrade is installed and probed first."""
