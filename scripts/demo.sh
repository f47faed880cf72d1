#!/usr/bin/env bash
# Run the demo in its own virtual environment (.venv), created and filled on
# first use. With no ZZZ_API_KEY it runs against the embedded simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv .venv all
exec .venv/bin/python examples/demo.py "$@"
