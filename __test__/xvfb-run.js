'use strict'
// For the suites that run Electron's main process under `xvfb-run` (Linux): how to end one.
//
// xvfb-run (a /bin/sh script) starts Xvfb in the background, runs its command in the
// foreground, and stops Xvfb from its EXIT trap once the command is over. A SIGKILL to xvfb-run
// itself skips that trap: its Xvfb lives on, an orphan of init, and so do its lock files and
// Xauthority directory. So a run is ended through its command: kill the command, and xvfb-run
// cleans up after itself.

const fs = require('node:fs')
const childProcess = require('node:child_process')
const { sleep } = require('./helpers')

/** Fails (the suite does not skip) when xvfb-run is missing. */
function checkXvfbRun () {
  const r = childProcess.spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' })
  if (r.error || r.status !== 0) {
    throw new Error(`xvfb-run is required to run Electron's main process here (${r.error ? r.error.message : 'exit ' + r.status}); ` +
      'install it (scripts/install-system-deps.sh, or apt-get install xvfb)')
  }
}

function stat (pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), state: fields[0], ppid: Number(fields[1]) }
  } catch (e) {
    return null
  }
}

/** Live processes whose parent is `pid`: [{ pid, comm }]. */
function childrenOf (pid) {
  const out = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const s = stat(name)
    if (s && s.ppid === pid && s.state !== 'Z') out.push({ pid: Number(name), comm: s.comm })
  }
  return out
}

/** Every live descendant of `pid`. */
function descendantsOf (pid) {
  const out = []
  const queue = [pid]
  while (queue.length) {
    for (const c of childrenOf(queue.shift())) {
      out.push(c.pid)
      queue.push(c.pid)
    }
  }
  return out
}

/** The pid of the Xvfb that the xvfb-run with pid `pid` started, or null. */
function xvfbOf (pid) {
  const found = childrenOf(pid).find((c) => c.comm === 'Xvfb')
  return found ? found.pid : null
}

function kill (pid, signal) {
  try {
    process.kill(pid, signal)
  } catch (e) {}
}

function hasExited (child) {
  return child.exitCode !== null || child.signalCode !== null
}

/**
 * Ends a running `xvfb-run` (a ChildProcess) so that it stops its own Xvfb: its command (every
 * child but Xvfb) gets SIGKILL, until xvfb-run has exited. Only if it has not within `ms` are
 * xvfb-run and everything below it killed outright. Resolves once xvfb-run has exited.
 */
async function endXvfbRun (child, ms = 10000) {
  if (hasExited(child)) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  let done = false
  exited.then(() => { done = true })
  const until = Date.now() + ms
  while (!done && Date.now() < until) {
    // Also a command that starts only now (xvfb-run was still setting Xvfb up).
    for (const c of childrenOf(child.pid)) {
      if (c.comm !== 'Xvfb') kill(c.pid, 'SIGKILL')
    }
    await Promise.race([exited, sleep(100)])
  }
  if (done) return
  for (const pid of [child.pid, ...descendantsOf(child.pid)]) kill(pid, 'SIGKILL')
  await exited
}

module.exports = { checkXvfbRun, childrenOf, descendantsOf, xvfbOf, endXvfbRun }
