"""Starts a long-lived subprocess, then hangs: both must go when the probe gives up."""

import subprocess
import sys
import time

CHILD = subprocess.Popen([sys.executable, "-I", "-c", "import time; time.sleep(300)"])
while True:
    time.sleep(1)
