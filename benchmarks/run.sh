#!/usr/bin/env bash
# The benchmark: makes .venv-bench on first use (the project with all extras, plus
# the peers and tools in benchmarks/requirements.txt), then runs benchmarks/run.py.
# usage: benchmarks/run.sh [--short] [--only stream,nonstream,...] [--write-docs]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
# Its own environment: llama-index-llms-openai, a peer, pins openai<3.
ensure_venv "${BENCH_VENV:-.venv-bench}" all -r benchmarks/requirements.txt
exec "${BENCH_VENV:-.venv-bench}/bin/python" benchmarks/run.py "$@"
