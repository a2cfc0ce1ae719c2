#!/usr/bin/env bash
# `npm run build:windows`: cross-builds the addon for Windows x64 with MinGW
# (x86_64-pc-windows-gnu) into pm.win32-x64-gnu.node beside package.json, where lib/native.js
# loads it on Windows. Runs setup.sh first (a second or two once everything is there).
#
# With napi's dyn-symbols feature the addon looks Node's functions up in the host process at
# load time, so it imports only system DLLs and loads in the official MSVC-built node.exe and
# electron.exe alike (__test__/windows/imports.test.js checks the import table).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$(dirname "$0")/setup.sh"
cd "$REPO_ROOT"
# The napi CLI is a dev dependency: a fresh clone has none yet.
[ -x node_modules/.bin/napi ] || npm ci --no-audit --no-fund
# napi-build demands LIBNODE_PATH on windows-gnu and links -lnode; the stub is an empty archive.
LIBNODE_PATH=$LIBNODE_STUB npx --no-install napi build --platform --release --no-js \
  --target "$WIN_TARGET" --dts target/napi-windows.d.ts "$@"
test -f pm.win32-x64-gnu.node
