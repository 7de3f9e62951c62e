#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 supports only Python < 3.11).
# Looks at $PYTHON, then python3.10 on PATH, then pyenv's versions folder.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
for candidate in "${PYTHON:-}" "$(command -v python3.10 2>/dev/null)"; do
  if [ -n "$candidate" ] && ok "$candidate"; then echo "$candidate"; exit 0; fi
done
root="${PYENV_ROOT:-$HOME/.pyenv}"
for candidate in $(ls -d "$root"/versions/3.10.*/bin/python 2>/dev/null | sort -rV); do
  if ok "$candidate"; then echo "$candidate"; exit 0; fi
done
cat >&2 <<'MSG'
error: Python 3.10 was not found (Rasa 3.6 needs Python 3.10; 3.11 and newer are not supported).
Looked at: $PYTHON, python3.10 on PATH, and $PYENV_ROOT/versions/3.10.* (default ~/.pyenv).
Install it with one of:
  pyenv install 3.10.13
  apt-get install python3.10 python3.10-venv    (where your distribution ships it)
or point PYTHON at a Python 3.10 interpreter: make run PYTHON=/path/to/python3.10
MSG
exit 1
