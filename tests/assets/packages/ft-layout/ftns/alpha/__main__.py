"""Not imported by the probe: a __main__ module runs a program."""

raise SystemExit("the probe must not import __main__ modules")
