#!/usr/bin/env bash
# `npm run test:windows`: the Windows build tested on this Linux machine.
#   1. setup.sh (toolchain, Windows node.exe and Electron, Wine prefix; quick once done)
#   2. build.sh (the MinGW cross build of the addon)
#   3. the addon's import table (Linux node); the crate's Rust unit tests built for Windows and
#      run under Wine (the pure logic with Windows paths, and the OS layer against real processes)
#   4. node:test suites in Windows node.exe 20 under Wine (__test__/windows/*.win.js; features:
#      readiness, dependsOn, the restart and memory limits, metrics, messages, restartall;
#      thirdparty: readyWhen, healthCheck, restart policies and detached grandchildren, with
#      node.exe run as a plain program; stdio: an MCP server from npm driven by the MCP SDK's
#      Client over pm.stdio(), bytes echoed both ways, restarts of a piped service)
#   5. the main process killed from Linux (kill -9 of its Wine process) leaves nothing behind
#      (__test__/windows/orphans.linux.js, Linux node driving Wine)
#   6. the Windows Electron 9.4.1 main process under xvfb-run: a service packed in app.asar, a
#      polite stop on quit, nothing left after a kill (__test__/windows/electron.linux.js)
#   7. the Windows Electron app of fixtures/electron-env: Node services and what they start see
#      ELECTRON_RUN_AS_NODE only where Node needs it (__test__/windows/electron-env.linux.js)
#   8. the demo app in the Windows Electron (scripts/demo.js --windows --smoke, with a
#      screenshot): its Node services work, nothing is left (__test__/windows/demo.linux.js)
#   8. run on its own (not inside npm test, which checks at its end): no process of the run is
#      left (scripts/run-mark.sh)
# Fails, never skips, when Wine or the Windows runtimes are missing.
#
# Windows node.exe under Wine fails with EBADF when its stdout is a Unix pipe, so Wine's output
# always goes to a file, shown afterwards.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
LOGS=$WIN_CACHE/logs
mkdir -p "$LOGS"

step() { printf '\n== %s\n' "$*"; T_STEP=$EPOCHREALTIME; }
took() { python3 -c "import sys; print('   (%.1f s)' % (float(sys.argv[2]) - float(sys.argv[1])))" "$T_STEP" "$EPOCHREALTIME"; }
source "$REPO_ROOT/scripts/run-mark.sh"
run_mark_begin
# Processes left by a failed run keep wineserver (and the prefix) busy: end them, ours only.
# Then (when this script began the run) nothing of the run may be left.
finish() {
  local status=$?
  trap - EXIT
  set +e
  wineserver -k 2> /dev/null
  run_mark_end "$status"
  exit $?
}
trap finish EXIT

step "windows/setup.sh"
bash scripts/windows/setup.sh
took
step "npm run build:windows"
bash scripts/windows/build.sh > "$LOGS/build.log" 2>&1 || { tail -40 "$LOGS/build.log"; exit 1; }
tail -1 "$LOGS/build.log"
took

step "import table of pm.win32-x64-gnu.node"
node --test __test__/windows/imports.win.js
took

step "cargo test --target $WIN_TARGET --lib under Wine"
ELIFE_PM_TEST_NODE=$(winepath -w "$NODE_EXE") LIBNODE_PATH=$LIBNODE_STUB CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
  cargo test --quiet --target "$WIN_TARGET" --lib > "$LOGS/cargo-test.out" 2>&1 ||
  { cat "$LOGS/cargo-test.out"; exit 1; }
grep -E '^test result' "$LOGS/cargo-test.out"
took

SUITES=(${WIN_SUITES:-__test__/windows/core.win.js __test__/windows/restart.win.js __test__/windows/logs.win.js __test__/windows/lifecycle.win.js __test__/windows/features.win.js __test__/windows/thirdparty.win.js __test__/windows/stdio.win.js})
step "node:test in Windows node.exe $NODE_WIN_VERSION under Wine: ${SUITES[*]}"
rc=0
timeout 900 wine "$NODE_EXE" --test --test-concurrency=1 "${SUITES[@]}" > "$LOGS/node-tests.out" 2>&1 || rc=$?
cat "$LOGS/node-tests.out"
took
[ $rc -eq 0 ] || { echo "Windows node:test suites failed (exit $rc)"; exit 1; }

step "main process killed with kill -9 (Wine): nothing it started is left"
node --test __test__/windows/orphans.linux.js
took

step "Windows Electron $ELECTRON_WIN_VERSION main process under Wine and xvfb-run"
node --test __test__/windows/electron.linux.js
took

step "Windows Electron $ELECTRON_WIN_VERSION: ELECTRON_RUN_AS_NODE only where Node needs it (issue 21)"
node --test __test__/windows/electron-env.linux.js
took

step "the demo in Windows Electron $ELECTRON_WIN_VERSION: npm run demo -- --windows --smoke"
node --test __test__/windows/demo.linux.js
took
