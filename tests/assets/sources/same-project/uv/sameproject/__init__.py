"""Test asset: the package of the same project."""
__version__ = "0.1.0"
