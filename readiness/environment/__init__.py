"""Isolated environments on the probed interpreter, and the installers that fill them."""
