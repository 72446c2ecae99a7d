#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install, lint, test. (README's second command.)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check chainrule tests benchmarks
python3 -m pytest -q -p no:cacheprovider
