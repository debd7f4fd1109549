"""Forks at import, and both processes go on as if nothing happened: the fork returns from
the import too, into whatever imported it."""

import os

os.fork()
