#!/usr/bin/env bash
# Run the demo in its own virtual environment (.venv), created and filled on
# first use. With no ZZZ_API_KEY it runs against the embedded simulator.
# The demo's agent step uses LangChain's create_agent, hence the langchain package.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv .venv all "langchain>=1.0,<2"
exec .venv/bin/python examples/demo.py "$@"
