"""A module directly inside the implicit namespace package ftns."""
