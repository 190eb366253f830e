#!/usr/bin/env bash
# Cross-check `jousei barcode parse` against biip 5.2.0 (PyPI). CI: tools/biip-crosscheck/run.sh target/debug/jousei
# Usage: run.sh <path-to-jousei-binary> [crosscheck.py options: --today, --seed, --count, --verbose]
set -euo pipefail

BIN="${1:-${JOUSEI_BIN:-}}"
if [[ -z "$BIN" ]]; then
  echo "usage: $0 <path-to-jousei-binary> [--today YYYY-MM-DD] [--seed N] [--count N] [--verbose]" >&2
  exit 2
fi
[[ $# -gt 0 ]] && shift
if ! "$BIN" barcode parse --help >/dev/null 2>&1; then
  echo "error: $BIN has no 'barcode parse' command" >&2
  exit 2
fi

VENV="${JOUSEI_VENV:-$HOME/.cache/jousei-venv}"
if ! "$VENV/bin/python" -c 'import sys, biip; sys.exit(biip.__version__ != "5.2.0")' >/dev/null 2>&1; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'biip==5.2.0'
fi

exec "$VENV/bin/python" "$(dirname "$0")/crosscheck.py" "$BIN" "$@"
