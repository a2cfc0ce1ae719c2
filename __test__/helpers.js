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

/** The process's state letter from /proc (R, S, Z, ...), or null when there is none. */
function procState (pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0]
  } catch (e) {
    return null
  }
}

function cmdline (pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch (e) {
    return ''
  }
}

/** For failure messages: what a process is. */
function describePid (pid) {
  return { pid, state: procState(pid), cmdline: cmdline(pid) }
}

/** A live process; a zombie (exited, not yet reaped by whoever inherited it) does not count. */
function isAlive (pid) {
  const state = procState(pid)
  return state !== null && state !== 'Z'
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

module.exports = { FIXTURES, ROOT, tmpdir, sleep, waitFor, procState, cmdline, describePid, isAlive, readLines, survivors }
