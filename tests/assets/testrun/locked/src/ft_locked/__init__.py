"""A project that depends on ft-gil, at the version its lock pins."""
