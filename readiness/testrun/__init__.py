"""``readiness test``: the project's own test suite on the free-threaded interpreter."""
