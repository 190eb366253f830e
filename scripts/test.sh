#!/usr/bin/env bash
# jousei's whole test suite, from a fresh machine with only the Rust toolchain.
#
# Installs what is missing (PostgreSQL, Chromium, Node.js and npm packages,
# the PyPI cross-check parser), then runs: formatting and lints, every cargo
# test (SQLite), the storage conformance suite and the server integration
# tests again on PostgreSQL, the browser tests, and the barcode cross-check.
#
# A component that truly cannot be had here is reported as SKIPPED with the
# reason; with CI=true (or JOUSEI_REQUIRE_ALL=1) a missing component fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

STRICT=0
if [ "${CI:-}" = "true" ] || [ "${JOUSEI_REQUIRE_ALL:-}" = "1" ]; then STRICT=1; fi
SKIPPED=()
step() { printf '\n==> %s\n' "$*"; }
skip() {
  SKIPPED+=("$1: $2")
  printf 'SKIPPED %s: %s\n' "$1" "$2"
  if [ "$STRICT" = 1 ]; then echo "error: $1 is required in CI" >&2; exit 1; fi
}

APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then return 1; fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- PostgreSQL ------------------------------------------------------------
PG_URL="${JOUSEI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
ensure_postgres() {
  if pg_ready; then return 0; fi
  if ls /etc/postgresql/*/main >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >/dev/null 2>&1 || true
  else
    step "installing PostgreSQL from Debian"
    apt_install postgresql || return 1
    local v; v=$(ls /etc/postgresql | head -n1)
    # Local test server: trust on loopback, like our development machines.
    sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/' "/etc/postgresql/$v/main/pg_hba.conf"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || return 1
  # The database named in the URL must exist.
  psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test" >/dev/null
}

# --- Chromium and Node.js ----------------------------------------------------
ensure_browser_tools() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    step "installing Node.js and npm from Debian"
    apt_install nodejs npm || return 1
  fi
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Chromium from Debian"
    apt_install chromium || return 1
  fi
}

# --- PDF inspection (poppler-utils: pdftotext, pdffonts) ----------------------
if ! command -v pdftotext >/dev/null || ! command -v pdffonts >/dev/null; then
  step "installing poppler-utils from Debian (PDF text and font checks)"
  apt_install poppler-utils || skip "PDF text checks" "poppler-utils missing and not installable here"
fi

step "formatting and lints"
cargo fmt --all -- --check
# Files include!d by the storage backends are not reached by cargo fmt.
rustfmt --edition 2024 --check crates/store/src/sql/*.rs
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (SQLite; PostgreSQL parts report themselves skipped here)"
(unset JOUSEI_TEST_POSTGRES_URL JOUSEI_TEST_BACKEND; cargo test --workspace --quiet)

if ensure_postgres; then
  step "storage conformance suite and server integration tests on PostgreSQL"
  JOUSEI_TEST_POSTGRES_URL="$PG_URL" JOUSEI_REQUIRE_POSTGRES=1 \
    cargo test --quiet -p jousei-store --test conformance --test clinic_zone
  JOUSEI_TEST_POSTGRES_URL="$PG_URL" JOUSEI_TEST_BACKEND=postgres \
    cargo test --quiet -p jousei-server --test it
  # The crash test's PostgreSQL part (JOUSEI_CRASH_KILLS, default 5; docs/reliability.md).
  JOUSEI_TEST_POSTGRES_URL="$PG_URL" JOUSEI_REQUIRE_POSTGRES=1 \
    cargo test --quiet -p jousei --test crash postgres
else
  skip "PostgreSQL tests" "no PostgreSQL on 127.0.0.1:5432 and it could not be installed (needs root and apt)"
fi

step "browser tests (playwright-core + Debian Chromium, headless)"
if ensure_browser_tools; then
  cargo build --quiet -p jousei
  (cd e2e && npm ci --no-audit --no-fund --silent && npm test)
else
  skip "browser tests" "Chromium or Node.js missing and not installable here"
fi

if [ -x tools/biip-crosscheck/run.sh ]; then
  step "barcode cross-check against biip (PyPI)"
  target="${CARGO_TARGET_DIR:-$ROOT/target}"
  tools/biip-crosscheck/run.sh "$target/debug/jousei"
fi

echo
if [ ${#SKIPPED[@]} -gt 0 ]; then
  printf 'PASSED, with skipped parts:\n'; printf '  - %s\n' "${SKIPPED[@]}"
else
  echo "ALL TESTS PASSED"
fi
