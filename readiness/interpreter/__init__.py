"""Free-threaded interpreters: found, proven and, where none is found, provisioned."""
