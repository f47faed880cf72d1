# Shared by scripts/demo.sh, scripts/test.sh and benchmarks/run.sh: make (or reuse) a virtual
# environment and install this project into it with the given extras.
# usage: ensure_venv DIR EXTRAS [EXTRA_PIP_ARGS...]
set -euo pipefail

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

ensure_venv() {
  local dir="$1" extras="$2"; shift 2
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local stamp="$dir/.zzz-installed"
  # The stamp covers pyproject.toml and any requirements file named in the pip args.
  local files=("$root/pyproject.toml") arg
  for arg in "$@"; do [ -f "$arg" ] && files+=("$arg"); done
  local want; want="$(cat "${files[@]}" | cksum | cut -d' ' -f1)-$extras-$*"
  if [ ! -x "$dir/bin/python" ]; then
    local py; py="$(pick_python)"
    echo "==> creating virtual environment $dir ($("$py" --version))" >&2
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade "pip>=23" >&2
  fi
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "==> installing zzz-relay[$extras] into $dir" >&2
    "$dir/bin/python" -m pip install --quiet -e "$root[$extras]" "$@" >&2
    echo "$want" > "$stamp"
  fi
}
