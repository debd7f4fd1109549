"""ft-pinner 1.0, its only release: pure Python that holds ft-helper below 2."""
