"""The fixture projects here are run by `readiness test`, never by readiness's own pytest.

Some of their conftest.py files import compiled fixtures that only their own environments
hold: pytest must not even enter their folders. (Their own runs do not read this file:
each project's pyproject.toml is its rootdir's configuration, which is where pytest stops
looking for conftest.py files.)
"""

collect_ignore_glob = ["*"]
