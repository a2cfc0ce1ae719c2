#!/usr/bin/env bash
# `npm test`: every suite, in the order a failure is cheapest to find.
#   0. set-up (scripts/setup.js): system packages for headless Electron, npm ci, Electron;
#      each only when missing, so a fresh clone needs nothing run before
#   1. lint of what Electron 9 loads (ES2019, no node: requires); Rust: formatting, clippy, unit tests of the pure logic (no Node needed)
#   2. the release addon
#   3. node:test suites under Node 20, including the real-Electron suites (they fail, not
#      skip, without Electron) and the TypeScript check of the packed package
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "set-up (scripts/setup.js)"
node scripts/setup.js --no-build

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
