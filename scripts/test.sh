#!/usr/bin/env bash
# `npm test`: every suite, in the order a failure is cheapest to find.
#   0. set-up (scripts/setup.js --tests): system packages for headless Electron and the
#      third-party programs the tests run as services (redis-server, postgresql), npm ci,
#      Electron; each only when missing, so a fresh clone needs nothing run before
#   1. lint of what Electron 9 loads (ES2019, no node: requires); Rust: formatting, clippy,
#      unit tests of the pure logic (no Node needed)
#   2. the release addon
#   3. node:test suites under Node 20: the real-Electron suites (they fail, not skip, without
#      Electron), the TypeScript check of the packed package, the release matrix's cross builds
#   4. Windows under Wine (scripts/windows/test.sh sets up what it needs), then clippy for the
#      Windows and macOS targets
#   5. at the end, pass or fail: no process of the run is left (scripts/run-mark.sh marks every
#      process the run starts; what is still there after a grace is listed, ended, and fails it)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

source scripts/run-mark.sh
run_mark_begin
finish() {
  local status=$?
  trap - EXIT
  set +e
  run_mark_end "$status"
  exit $?
}
trap finish EXIT

step "set-up (scripts/setup.js --tests)"
node scripts/setup.js --no-build --tests

step "eslint (every file Electron 9 loads parses as ES2019)"
npm run --silent lint
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --quiet --all-targets -- -D warnings
step "cargo test"
cargo test --quiet
step "npm run build"
npm run --silent build
step "node --test"
node --test --test-concurrency=1 __test__/
step "Windows: npm run test:windows (MinGW build, Wine, Windows Node and Electron)"
bash scripts/windows/test.sh
step "cargo clippy for the Windows and macOS targets"
rustup target add --toolchain "$(rustup show active-toolchain | cut -d' ' -f1)" x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin > /dev/null 2>&1 || true
LIBNODE_PATH=.cache/windows/libnode-stub cargo clippy --quiet --target x86_64-pc-windows-gnu --all-targets -- -D warnings
cargo clippy --quiet --target x86_64-apple-darwin --all-targets -- -D warnings
cargo clippy --quiet --target aarch64-apple-darwin --all-targets -- -D warnings
