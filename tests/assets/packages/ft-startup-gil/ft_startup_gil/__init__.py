"""Loaded at interpreter start-up by its .pth file, which enables the GIL before any probe."""
