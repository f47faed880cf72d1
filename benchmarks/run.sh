#!/usr/bin/env bash
# The benchmark: makes .venv-bench on first use (the project with all extras, plus
# the peers and tools in benchmarks/requirements.txt), then runs benchmarks/run.py.
# usage: benchmarks/run.sh [--short] [--only stream,nonstream,...] [--write-docs]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
venv="${BENCH_VENV:-$root/.venv-bench}"
stamp="$venv/.zzz-bench-installed"
want="$(cat pyproject.toml benchmarks/requirements.txt | cksum | cut -d' ' -f1)"

pick_python() {
  for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3.10 python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "error: Python 3.10 or newer is needed (set PYTHON=/path/to/python3)" >&2
  return 1
}

if [ ! -x "$venv/bin/python" ]; then
  py="$(pick_python)"
  echo "==> creating the benchmark environment $venv ($("$py" --version))" >&2
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade "pip>=23" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "==> installing zzz-relay[all] and benchmarks/requirements.txt into $venv" >&2
  "$venv/bin/python" -m pip install --quiet -e "$root[all]" -r benchmarks/requirements.txt >&2
  echo "$want" > "$stamp"
fi
exec "$venv/bin/python" benchmarks/run.py "$@"
