'use strict'
// Runs an unpacked Electron app directory (as `electron .` does in development) on the real
// Electron 9.4.1 under `xvfb-run -a`, for readme.test.js and pack.test.js. Every process of the
// run carries a fresh token in its environment, so that what is left after Electron exited can
// be found (the services, their children, Xvfb). Fails, never skips, without Electron or
// xvfb-run.

const childProcess = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { sleep, describePid } = require('./helpers')
const { checkXvfbRun, endXvfbRun } = require('./xvfb-run')
const { electronPath } = require('../scripts/electron-path')

const TOKEN_VAR = 'ELIFE_PM_APP_TOKEN'

/** Checks what a run needs; returns the Electron binary. */
function requireElectron () {
  checkXvfbRun()
  const electron = electronPath()
  if (!fs.statSync(electron).isFile()) throw new Error(`no Electron binary at ${electron}`)
  return electron
}

/** Live processes (not zombies) whose environment carries `TOKEN_VAR=token`. */
function tokenHolders (token) {
  const needle = `${TOKEN_VAR}=${token}`
  const found = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let environ
    try {
      environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1')
    } catch (e) {
      continue
    }
    if (environ.split('\0').includes(needle)) found.push(Number(name))
  }
  return found.map(describePid).filter((p) => p.state !== null && p.state !== 'Z')
}

/** What remains of a run after up to `within` ms. */
async function leftovers (token, within) {
  const until = Date.now() + within
  for (;;) {
    const left = tokenHolders(token)
    if (left.length === 0 || Date.now() > until) return left
    await sleep(50)
  }
}

// The environment Electron starts with: ours, minus what would change how it runs.
function electronEnv (extra) {
  const env = { ...process.env, ...extra }
  for (const k of ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ASAR', 'NODE_OPTIONS', 'NODE_CHANNEL_FD',
    'NODE_CHANNEL_SERIALIZATION_MODE', 'ELIFE_PM_PARENT', 'NODE_TEST_CONTEXT']) {
    delete env[k]
  }
  return env
}

/**
 * Runs Electron on `appDir` with `env` added; resolves once it exited (or was ended after
 * `timeout` ms) and the leftover check is done: { code, signal, timedOut, stdout, stderr, left }.
 * `left` lists the run's processes still there `goneWithin` ms after Electron exited.
 */
async function runElectronApp (appDir, { env = {}, cwd = appDir, timeout = 90000, goneWithin = 5000 } = {}) {
  const electron = requireElectron()
  for (let attempt = 1; ; attempt++) {
    const token = crypto.randomBytes(8).toString('hex')
    const child = childProcess.spawn('xvfb-run', ['-a', electron, '--no-sandbox', appDir], {
      cwd,
      env: electronEnv({ ...env, [TOKEN_VAR]: token }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const exited = new Promise((resolve) => {
      child.on('error', (error) => resolve({ code: null, signal: null, error }))
      child.on('exit', (code, signal) => resolve({ code, signal }))
    })
    let timer
    const timedOut = new Promise((resolve) => { timer = setTimeout(resolve, timeout, 'timeout') })
    let exit = await Promise.race([exited, timedOut])
    clearTimeout(timer)
    if (exit === 'timeout') {
      await endXvfbRun(child)
      exit = { ...(await exited), timedOut: true }
    }
    if (exit.error) throw exit.error
    // `xvfb-run -a` picks a display number without a lock: a concurrent one can take it first.
    if (exit.code === 1 && /Xvfb failed to start/.test(stderr) && attempt < 3) continue
    const left = await leftovers(token, goneWithin)
    // Whatever is left is listed by the caller's check; it must not outlive the test either.
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch (e) {}
    }
    return { code: exit.code, signal: exit.signal, timedOut: Boolean(exit.timedOut), stdout, stderr, left }
  }
}

/** The end of an output, for failure messages. */
function tail (text, n = 40) {
  return String(text).trim().split('\n').slice(-n).join('\n')
}

module.exports = { requireElectron, runElectronApp, tail }
