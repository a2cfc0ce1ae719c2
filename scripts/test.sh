#!/usr/bin/env bash
# `npm test`: every suite, in the order a failure is cheapest to find.
#   1. Rust: formatting, clippy, unit tests of the pure logic (no Node needed)
#   2. the release addon
#   3. TypeScript: a usage file checked against index.d.ts
#   4. node:test suites under Node 20, including the real-Electron suite (needs Electron:
#      `node scripts/electron-path.js` finds or fetches it; it fails, not skips, without it)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --quiet --all-targets -- -D warnings
step "cargo test"
cargo test --quiet
step "npm run build"
npm run --silent build
step "tsc --noEmit (index.d.ts)"
npx --no-install tsc -p __test__/types/tsconfig.json
step "node --test"
node --test --test-concurrency=1 __test__/
