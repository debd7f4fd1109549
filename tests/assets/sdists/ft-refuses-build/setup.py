"""Fails to build as cffi 2.x does on a free-threaded CPython: noise first, the cause in the middle.

Built for real by pip and uv (setuptools' legacy backend runs this file), so that the reason
readiness reports is found in a real installer's real output.
"""

import sys

# What a real build prints before it gets to the point: configuration chatter on both streams.
for step in range(30):
    print(f"checking for feature {step}... yes")
print("warning: no previously-included files matching '*.pyc' found", file=sys.stderr)

raise RuntimeError("CFFI does not support the free-threaded build")
