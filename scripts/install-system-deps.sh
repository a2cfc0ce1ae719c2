#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that Electron 9 needs to run headless (under xvfb-run),
# only those missing. Runs `apt-get update` only when something must be installed.
#
#   scripts/install-system-deps.sh                  (as root, or with sudo available)
#   scripts/install-system-deps.sh --tests          also the third-party programs that npm test
#                                                   runs as services (__test__/thirdparty.test.js)
#   scripts/install-system-deps.sh [--tests] --check  only look: prints what is missing, exit 3
#                                                   if anything
#
# The test programs are servers whose packages start a system service when installed; the tests
# start their own copies from temporary data directories, so none may be left running (holding
# their ports): a policy-rc.d that denies every start is in place while they install (unless the
# machine has one already), and any of their services that runs anyway is stopped afterwards.
#
# Exits non-zero on failure. Quiet unless it installs something or fails.
set -euo pipefail

# One entry per need; `a|b` = either satisfies it (first with an apt candidate is installed).
# The t64 names are Ubuntu 24.04+, where the old names are only virtual packages.
PACKAGES=(
  xvfb                          # Xvfb + xvfb-run: the display the main process needs
  xauth                         # xvfb-run uses it
  "libgtk-3-0t64|libgtk-3-0"    # GTK 3 (pulls atk, atk-bridge, cups, pango, cairo, X libs)
  libnss3                       # NSS / NSPR
  libxss1                       # XScreenSaver extension
  "libasound2t64|libasound2"    # ALSA, linked even if no sound is played
  libgbm1                       # mesa GBM
  libxtst6                      # XTest: linked by electron directly, not pulled in by the above
)
# With --tests: programs nobody here wrote, run by pm in __test__/thirdparty.test.js.
TEST_PACKAGES=(
  redis-server                  # Redis (and redis-cli, from redis-tools)
  postgresql                    # the distribution's PostgreSQL: /usr/lib/postgresql/<version>/bin
)
# Packages among those whose installation starts a system service (its init script's name).
SERVICES=(redis-server postgresql)

log() { printf 'install-system-deps: %s\n' "$*" >&2; }

installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

has_candidate() {
  local c
  c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

CHECK_ONLY=
for arg in "$@"; do
  case "$arg" in
    --check) CHECK_ONLY=1 ;;
    --tests) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
    *) log "unknown argument: $arg (usage: install-system-deps.sh [--tests] [--check])"; exit 1 ;;
  esac
done

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  log "dpkg/apt-get not found: this script supports Debian and Ubuntu only"
  exit 1
fi

SUDO=()
if [ -z "$CHECK_ONLY" ] && [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    log "not root and no sudo: cannot install packages"
    exit 1
  fi
fi

APT_OPTS=(-y -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
export DEBIAN_FRONTEND=noninteractive

missing=() # entries (with alternatives) not satisfied
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r -a alts <<<"$entry"
  ok=
  for p in "${alts[@]}"; do
    if installed "$p"; then ok=1; break; fi
  done
  [ -n "$ok" ] || missing+=("$entry")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ -n "$CHECK_ONLY" ]; then
  printf '%s\n' "${missing[@]}"
  exit 3
fi

log "missing: ${missing[*]}; running apt-get update"
if ! out=$("${SUDO[@]}" apt-get "${APT_OPTS[@]}" update 2>&1); then
  printf '%s\n' "$out" >&2
  log "apt-get update failed"
  exit 1
fi

to_install=()
for entry in "${missing[@]}"; do
  IFS='|' read -r -a alts <<<"$entry"
  pick=
  for p in "${alts[@]}"; do
    if has_candidate "$p"; then pick=$p; break; fi
  done
  if [ -z "$pick" ]; then
    log "no installable package for: $entry"
    exit 1
  fi
  to_install+=("$pick")
done

# The packages among to_install that start a service.
starts_service=()
for p in "${to_install[@]}"; do
  for s in "${SERVICES[@]}"; do
    [ "$p" = "$s" ] && starts_service+=("$s")
  done
done

# No service may start while they install: a policy-rc.d that denies every start (invoke-rc.d
# and deb-systemd-invoke ask it), removed again afterwards. One the machine already has is kept.
POLICY=/usr/sbin/policy-rc.d
policy_added=
remove_policy() {
  if [ -n "$policy_added" ]; then
    "${SUDO[@]}" rm -f "$POLICY"
    policy_added=
  fi
}
if [ ${#starts_service[@]} -gt 0 ] && [ ! -e "$POLICY" ]; then
  trap remove_policy EXIT
  printf '#!/bin/sh\n# install-system-deps.sh: no service starts while packages install\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" > /dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  policy_added=1
fi

log "installing: ${to_install[*]}"
if ! out=$("${SUDO[@]}" apt-get "${APT_OPTS[@]}" install --no-install-recommends "${to_install[@]}" 2>&1); then
  printf '%s\n' "$out" >&2
  log "apt-get install failed"
  exit 1
fi
remove_policy

# A policy that let a service start anyway: stop what these packages started (only those: a
# service the machine ran before is not ours to stop).
for s in "${starts_service[@]}"; do
  if command -v service > /dev/null 2>&1 && "${SUDO[@]}" service "$s" status > /dev/null 2>&1; then
    log "stopping the $s service that its package started"
    "${SUDO[@]}" service "$s" stop > /dev/null 2>&1 || { log "cannot stop the $s service"; exit 1; }
  fi
done

for p in "${to_install[@]}"; do
  if ! installed "$p"; then
    log "$p still not installed after apt-get install"
    exit 1
  fi
done
log "done"
