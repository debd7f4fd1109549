#!/usr/bin/env bash
# Regenerate the lock and requirements files under tests/assets/sources/ with the real tools.
#
# The locks are made against a local index on 127.0.0.1 that serves exactly the wheels
# downloaded below, so that they are reproducible and name no public host. See README.md.
# Usage: tests/assets/sources/regenerate.sh   (from anywhere; needs uv, pip and network to the
# package index that pip is configured with, for the downloads only; the poetry, pdm, pipenv
# and pip-tools locks need those tools too, each in its own venv: see README.md)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
UV="${UV:-uv}"
PIP="${PIP:-pip}"
PYTHON="${PYTHON:-python3}"
PORT=8321
INDEX="http://127.0.0.1:${PORT}/simple"
WORK="$(mktemp -d)"
export UV_NO_CONFIG=1 UV_CACHE_DIR="${WORK}/uv-cache" PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
# The other lockers, each installed in its own venv (README.md, "The other lockers").
POETRY2="${POETRY2:-poetry}"      # poetry 2.2.1: lock 2.1
POETRY18="${POETRY18:-poetry}"    # poetry 1.8.5: lock 2.0
POETRY11="${POETRY11:-poetry}"    # poetry 1.1.15 (on Python 3.8): lock 1.1
PDM="${PDM:-pdm}"                 # pdm 2.29.4, with hishel<2 beside it
PIPENV="${PIPENV:-pipenv}"        # pipenv 2026.10.3, on Python 3.13
PIPTOOLS_COMPILE="${PIPTOOLS_COMPILE:-pip-compile}"  # pip-tools 7.6.2, on Python 3.13
PYTHON313="${PYTHON313:-python3.13}"      # resolves same-project for pipenv and pip lock
export POETRY_CONFIG_DIR="${WORK}/poetry-config" POETRY_CACHE_DIR="${WORK}/poetry-cache" \
  POETRY_VIRTUALENVS_CREATE=false
export PDM_HOME="${WORK}/pdm-home" PDM_CACHE_DIR="${WORK}/pdm-cache" \
  PDM_CONFIG_FILE="${WORK}/pdm-config.toml" PDM_PYTHON="${PYTHON}" PDM_CHECK_UPDATE=false
export WORKON_HOME="${WORK}/pipenv-venvs" PIPENV_CACHE_DIR="${WORK}/pipenv-cache" \
  PIPENV_IGNORE_VIRTUALENVS=1 PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_VERBOSITY=-1

# 1. The wheels the locks may choose from: the versions that were current when the assets
#    were first made (pure-Python wheels only, so one file per version serves every platform).
mkdir -p "${WORK}/index/files"
for pin in anyio==4.11.0 click==8.3.0 colorama==0.4.6 exceptiongroup==1.3.0 idna==3.11 \
    iniconfig==2.3.0 mdurl==0.1.2 packaging==25.0 pluggy==1.6.0 pygments==2.19.2 \
    pytest==8.4.2 six==1.16.0 six==1.17.0 sniffio==1.3.1 tomli==2.3.0 \
    typing-extensions==4.15.0 flit-core==3.12.0; do
  "${PIP}" download --quiet --no-deps --only-binary :all: --platform any \
    --python-version 3.10 --implementation py -d "${WORK}/index/files" "${pin}"
done
# pip 25.1+ has `pip lock`; it runs straight from its wheel.
"${PIP}" download --quiet --no-deps --only-binary :all: -d "${WORK}/pip" "pip==26.3"

# (flit-core builds same-project's metadata for pipenv, pip-compile and pip lock.)
# 2. A PEP 503 simple index over them, with sha256 fragments so that the locks carry hashes.
(cd "${WORK}/index" && "${PYTHON}" - <<'EOF'
import collections, hashlib, pathlib, re

by_project = collections.defaultdict(list)
for wheel in sorted(pathlib.Path("files").glob("*.whl")):
    by_project[re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()].append(wheel)
for project, wheels in by_project.items():
    folder = pathlib.Path("simple", project)
    folder.mkdir(parents=True)
    links = "".join(
        f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
        f"{w.name}</a>\n"
        for w in wheels
    )
    (folder / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
EOF
)
"${PYTHON}" -m http.server "${PORT}" --bind 127.0.0.1 --directory "${WORK}/index" \
  >"${WORK}/server.log" 2>&1 &
SERVER=$!
trap 'kill "${SERVER}" 2>/dev/null || true; rm -rf "${WORK}"' EXIT
sleep 1

# 3. lockdemo: uv.lock, its pylock.toml export, requirements files compiled by uv, pip's lock.
cd "${HERE}/lockdemo"
rm -f uv.lock pylock.*toml requirements*.txt
"${UV}" lock --default-index "${INDEX}"
"${UV}" export --quiet --frozen --format pylock.toml -o pylock.toml
"${UV}" pip compile pyproject.toml --group dev --python-version 3.13 \
  --python-platform x86_64-unknown-linux-gnu --default-index "${INDEX}" -o requirements.txt
"${UV}" pip compile pyproject.toml --group dev --python-version 3.10 \
  --python-platform x86_64-pc-windows-msvc --default-index "${INDEX}" \
  -o requirements-win-py310.txt
"${UV}" pip compile pyproject.toml --extra cli --group dev --universal --python-version 3.10 \
  --generate-hashes --default-index "${INDEX}" -o requirements-universal.txt
"${PYTHON}" "$(ls "${WORK}"/pip/pip-*.whl)/pip" lock --quiet --index-url "${INDEX}" \
  -o pylock.pip.toml anyio "exceptiongroup; python_version < '3.11'" \
  "colorama; sys_platform == 'win32'" "six>=1.17; python_version >= '3.13'" \
  "six<1.17; python_version < '3.13'" pytest

# pylock.extras.toml: uv's export of every extra and group, edited by the script below into the
# form PEP 751 gives a lock that leaves extras and groups to the installer (uv bakes them in).
# (Exported beside the project: uv writes the project's directory relative to the output.)
"${UV}" export --quiet --frozen --format pylock.toml --all-extras --all-groups -o pylock.all.toml
"${PYTHON}" - pylock.all.toml pylock.extras.toml <<'EOF'
import re, sys

dev = "'dev' in dependency_groups"
markers = {
    "click": "'cli' in extras",
    "colorama": "sys_platform == 'win32' or 'docs' in dependency_groups",
    "mdurl": "'docs' in dependency_groups",
    "pygments": f"{dev} or 'docs' in dependency_groups",
    "pytest": dev,
    "iniconfig": dev,
    "packaging": dev,
    "pluggy": dev,
    "tomli": f"python_full_version < '3.11' and {dev}",
}
text = open(sys.argv[1]).read()
text = text.replace(
    'requires-python = ">=3.10"\n',
    'requires-python = ">=3.10"\nextras = ["cli"]\ndependency-groups = ["dev", "docs"]\n'
    'default-groups = ["dev"]\n',
)
for name, marker in markers.items():
    text, count = re.subn(
        rf'(name = "{name}"\nversion = "[^"]+"\n)(marker = "[^"]*"\n)?',
        lambda match: f'{match[1]}marker = "{marker}"\n',
        text,
    )
    assert count == 1, name
text = re.sub(r"^#.*\n", "", text, flags=re.M)
header = "# Edited from `uv export --format pylock.toml --all-extras --all-groups` by regenerate.sh.\n"
open(sys.argv[2], "w").write(header + text)
EOF
rm pylock.all.toml

# 4. workspace: a virtual root and a member.
cd "${HERE}/workspace"
rm -f uv.lock
"${UV}" lock --default-index "${INDEX}"

# 5. poetry: lockdemo's project in poetry's syntax, locked by three poetry versions.
for folder_and_tool in "poetry21:${POETRY2}" "poetry20:${POETRY18}" "poetry11:${POETRY11}"; do
  (cd "${HERE}/${folder_and_tool%%:*}" && rm -f poetry.lock && "${folder_and_tool#*:}" lock --no-interaction)
done

# 6. pdm: lockdemo's project; pdm cannot lock the six fork in one resolution, so it locks one
#    target per side of it (pdm-project.org/latest/usage/lock-targets/).
cd "${HERE}/pdmdemo"
rm -f pdm.lock
"${PDM}" lock -G :all --python ">=3.10,<3.13"
"${PDM}" lock -G :all --python ">=3.13" --append

# 7. same-project: one project, locked by every tool, and what uv pip compile makes of it.
cd "${HERE}/same-project"
(cd uv && rm -f uv.lock pylock.toml && "${UV}" lock --default-index "${INDEX}" \
  && "${UV}" export --quiet --frozen --format pylock.toml --extra cli -o pylock.toml)
(cd uv-pip-compile && "${UV}" pip compile pyproject.toml --extra cli --group dev \
  --python-version 3.13 --python-platform x86_64-unknown-linux-gnu \
  --default-index "${INDEX}" -o requirements.txt)
(cd poetry && rm -f poetry.lock && "${POETRY2}" lock --no-interaction)
(cd pdm && rm -f pdm.lock && "${PDM}" lock -G :all)
(cd pipenv && rm -f Pipfile.lock && "${PIPENV}" lock --python "${PYTHON313}")
(cd pip-tools && "${PIPTOOLS_COMPILE}" --quiet --no-strip-extras --index-url "${INDEX}" --extra cli \
  -o requirements.txt pyproject.toml dev.in)
(cd pip && "${PYTHON313}" "$(ls "${WORK}"/pip/pip-*.whl)/pip" lock --quiet \
  --index-url "${INDEX}" --group dev -o pylock.toml '.[cli]')

echo "regenerated with $("${UV}" --version) and pip 26.3"
