# Sourced by the other scripts: a project virtualenv with every dependency,
# (re)installed when pyproject.toml, setup.py or a kernel's C source is newer than the
# last install (the install compiles the kernels in place).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stale() {
  [ ! -f .venv/.installed ] && return 0
  for f in pyproject.toml setup.py src/nocontact/core/_*.c; do
    [ -e "$f" ] && [ "$f" -nt .venv/.installed ] && return 0
  done
  return 1
}
if stale; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch .venv/.installed
fi
export PATH="$PWD/.venv/bin:$PATH"
