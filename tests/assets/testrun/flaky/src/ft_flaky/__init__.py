"""The project under test."""
