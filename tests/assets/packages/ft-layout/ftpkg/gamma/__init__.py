"""A regular package inside the pkgutil-style namespace package ftpkg."""
