#!/usr/bin/env bash
# Run the whole test suite in its own virtual environment (.venv, openai 3.x),
# created and filled on first use; then the package and skin tests again with
# openai 2.x (.venv-openai2), which users of llama-index-llms-openai are held to.
# Ray (the `ray` extra) is installed in .venv only: its tests start one local Ray
# instance per module; in .venv-openai2 they are skipped.
# Live-gateway tests run only when ZZZ_API_KEY is set. Nothing else touches the
# network: tests talk to the gateway simulator on 127.0.0.1.
# Before any test, ruff (lint and format) and mypy check the packages that ship, with the
# versions pinned in the dev extra (ZZZ_SKIP_CHECKS=1 skips them, e.g. while iterating).
# usage: scripts/test.sh [pytest args...]   (with args: only the first run, with those args)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh

ensure_venv .venv dev,ray

# Fail fast on lint, format and type errors: all three run (so one run shows every problem),
# then nothing is tested if any failed.  mypy reads its settings and packages from
# pyproject.toml; its cache (.mypy_cache, git-ignored) makes repeat runs take seconds.
CHECK_PATHS=(zzz_core langchain_zzz llamaindex_zzz zzz_testing zzz_cli llama_index)
# The tests and benchmarks are linted too, but not format-checked (reformatting them wholesale
# would only churn hand-aligned tables).
LINT_ONLY_PATHS=(tests benchmarks)
if [ "${ZZZ_SKIP_CHECKS:-}" != "1" ]; then
  failed=()
  echo "==> ruff check" && .venv/bin/ruff check "${CHECK_PATHS[@]}" "${LINT_ONLY_PATHS[@]}" || failed+=("ruff check")
  echo "==> ruff format --check" && .venv/bin/ruff format --check "${CHECK_PATHS[@]}" || failed+=("ruff format")
  echo "==> mypy" && .venv/bin/python -m mypy || failed+=("mypy")
  if [ ${#failed[@]} -gt 0 ]; then
    list="$(printf '%s, ' "${failed[@]}")"
    echo "error: ${list%, } failed (see above), so no tests were run. Fix with" \
      ".venv/bin/ruff check --fix, .venv/bin/ruff format and .venv/bin/python -m mypy" \
      "(ZZZ_SKIP_CHECKS=1 skips the checks while iterating)." >&2
    exit 1
  fi
fi

echo "==> tests with openai $(.venv/bin/python -c 'import openai; print(openai.__version__)')"
.venv/bin/python -m pytest tests "$@"

if [ $# -eq 0 ] && [ "${ZZZ_SKIP_OPENAI2:-}" != "1" ]; then
  ensure_venv .venv-openai2 dev "openai>=2,<3"
  if [ "${ZZZ_SKIP_CHECKS:-}" != "1" ]; then
    # Type-check again against openai 2.x's types: _compat.py's httpx branch and the ignores that
    # hold only there (~45 s on a clean clone; its own cache, so the 3.x cache is not invalidated).
    echo "==> mypy with openai 2.x" && .venv-openai2/bin/python -m mypy --cache-dir .mypy_cache/openai2
  fi
  echo "==> tests with openai $(.venv-openai2/bin/python -c 'import openai; print(openai.__version__)')"
  .venv-openai2/bin/python -m pytest tests/unit_tests tests/integration_tests -q -m "not soak" \
    --ignore=tests/integration_tests/test_notebooks.py \
    --ignore=tests/integration_tests/test_docs_examples.py \
    --ignore=tests/integration_tests/test_benchmarks_smoke.py
fi
