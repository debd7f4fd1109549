"""Not importable: its folder's name is not an identifier."""
