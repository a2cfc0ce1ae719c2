'use strict'
// Shared by the node:test suites: temp dirs, polling, and process liveness.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const FIXTURES = path.join(__dirname, 'fixtures')
const ROOT = path.join(__dirname, '..')

function tmpdir (prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-' + (prefix || 'test') + '-'))
}

function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function waitFor (what, fn, timeout = 10000) {
  const until = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > until) throw new Error('timed out waiting for ' + what)
    await sleep(20)
  }
}

function isAlive (pid) {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return e.code === 'EPERM'
  }
  // A zombie still answers kill(0); it is gone for our purposes.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch (e) {
    return false
  }
}

function readLines (file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch (e) {
    return []
  }
}

/** Waits until none of `pids` is alive (generous bound) and returns the survivors. */
async function survivors (pids, timeout = 3000) {
  const until = Date.now() + timeout
  while (Date.now() < until && pids.some(isAlive)) await sleep(20)
  return pids.filter(isAlive)
}

module.exports = { FIXTURES, ROOT, tmpdir, sleep, waitFor, isAlive, readLines, survivors }
