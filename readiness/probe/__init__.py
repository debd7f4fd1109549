"""The probe: import every module of an environment in a child interpreter and watch the GIL."""
