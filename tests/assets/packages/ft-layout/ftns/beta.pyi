"""A stub, not a module."""
