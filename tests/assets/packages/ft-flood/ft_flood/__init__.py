"""Floods stdout (and stderr) every way it can while importing, then imports fine."""

import os
import subprocess
import sys

# Text that looks like the probe's protocol, to prove it cannot be mistaken for it.
print('{"event": "done", "module": "ft_flood", "ok": false}')
print("x" * (10 * 1024 * 1024))
os.write(1, b'{"event": "bye"}\n')
sys.stderr.write("noise on stderr\n")
subprocess.run(
    [sys.executable, "-I", "-c", "print('from a subprocess' * 1000)"],
    check=True,
    timeout=60,
)

from ft_flood import _noise  # type: ignore[attr-defined]  # noqa: E402  # compiled

__all__ = ["_noise"]
