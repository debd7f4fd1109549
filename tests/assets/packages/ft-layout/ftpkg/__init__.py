"""A pkgutil-style namespace package: its own import loads nothing of this distribution."""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)
