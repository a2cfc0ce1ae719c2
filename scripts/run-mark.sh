# Sourced by scripts/test.sh and scripts/windows/test.sh: marks a test run so that its end can
# prove nothing of it is left running.
#
#   run_mark_begin        exports ELIFE_PM_TEST_RUN (a fresh value) unless an outer run already
#                         did; every process the run starts inherits it
#   run_mark_end STATUS   in the EXIT trap: when this script began the run, waits for the run's
#                         processes to go (scripts/leftovers.js), lists and ends any that stay,
#                         and returns STATUS, or 1 when STATUS was 0 and something was left
#
# A nested run (windows/test.sh inside test.sh) leaves the check to the outer one.

RUN_MARK_OWNER=0

run_mark_begin() {
  if [ -n "${ELIFE_PM_TEST_RUN:-}" ]; then
    return 0
  fi
  RUN_MARK_OWNER=1
  ELIFE_PM_TEST_RUN="run-$$-$(date +%s%N)-$RANDOM"
  export ELIFE_PM_TEST_RUN
}

run_mark_end() {
  local status=$1 left=0
  if [ "$RUN_MARK_OWNER" != 1 ]; then
    return "$status"
  fi
  printf '\n== no process of this run is left (scripts/leftovers.js)\n'
  node "$(dirname "${BASH_SOURCE[0]}")/leftovers.js" ELIFE_PM_TEST_RUN || left=$?
  if [ "$status" -eq 0 ] && [ "$left" -ne 0 ]; then
    status=1
  fi
  return "$status"
}
