"""A regular package inside the implicit namespace package ftns."""
