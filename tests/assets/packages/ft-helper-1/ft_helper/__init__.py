"""ft-helper 1.0: pure Python, which ft-upgrade 3.0 needs at 2.0 or later."""
