'use strict'
// The shared test helpers (../helpers.js), with process liveness the Windows way: there is no
// /proc, so a process is alive when Windows still runs it (Node's process.kill(pid, 0) opens it
// and checks that it has not exited).

const shared = require('../helpers')

function isAlive (pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return false
  }
}

async function survivors (pids, timeout = 3000) {
  const until = Date.now() + timeout
  while (Date.now() < until && pids.some(isAlive)) await shared.sleep(20)
  return pids.filter(isAlive)
}

function readText (file) {
  try {
    return require('node:fs').readFileSync(file, 'utf8')
  } catch (e) {
    return null
  }
}

module.exports = Object.assign({}, shared, {
  isAlive,
  survivors,
  readText,
  procState: undefined,
  cmdline: undefined,
  describePid: (pid) => ({ pid, alive: isAlive(pid) })
})
