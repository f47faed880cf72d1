#!/usr/bin/env bash
# Run the whole test suite in its own virtual environment (.venv), created and
# filled on first use. Live-gateway tests run only when ZZZ_API_KEY is set.
# Then a short compatibility run of zzz_core against openai 2.x (.venv-openai2).
# usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh

ensure_venv .venv dev
echo "==> tests (openai $(.venv/bin/python -c 'import openai; print(openai.__version__)'))"
.venv/bin/python -m pytest tests "$@"

if [ "${ZZZ_SKIP_OPENAI2:-}" != "1" ] && [ $# -eq 0 ]; then
  ensure_venv .venv-openai2 dev "openai>=2,<3"
  echo "==> zzz_core tests against openai $(.venv-openai2/bin/python -c 'import openai; print(openai.__version__)')"
  .venv-openai2/bin/python -m pytest tests/unit_tests tests/integration_tests -m "not soak" -q -k "not langchain_standard" \
    --ignore=tests/integration_tests/langchain --ignore=tests/integration_tests/llamaindex
fi
