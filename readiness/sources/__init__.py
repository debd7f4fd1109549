"""Dependency sources: files that declare a project's dependencies, read into exact pins."""
