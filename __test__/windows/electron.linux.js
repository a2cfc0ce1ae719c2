'use strict'
// elife/pm in the Windows Electron 9.4.1 main process (electron.exe under Wine, a real window
// under xvfb-run), packaged as apps ship: the fixture app (fixtures/electron-app) plus a copy of
// this package in node_modules/elife, packed into resources/app.asar with the .node addon
// unpacked. A service whose script is inside app.asar runs on Electron's own binary as Node and
// reads its packed data file; on quit pm stops it politely (its onstopping runs) before Electron
// exits; after a kill -9 of Electron's Wine process nothing pm started is left, and xvfb-run
// stops its Xvfb. Runs in Linux node, driving Wine; fails (never skips) without Wine, the
// Windows runtimes or xvfb-run.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { tmpdir, waitFor, survivors } = require('../helpers')
const { checkXvfbRun, xvfbOf, endXvfbRun } = require('../xvfb-run')
const { ROOT, ELECTRON_EXE, ENV, requireWine, winPath, leftAfter, linuxPids } = require('./wine')

const FIXTURE = path.join(__dirname, 'fixtures', 'electron-app')
const ADDON = 'pm.win32-x64-gnu.node'
let resources

test.before(async () => {
  requireWine()
  checkXvfbRun()
  assert.ok(fs.existsSync(path.join(ROOT, ADDON)), `${ADDON} is missing: run npm run build:windows`)
  const tmp = tmpdir('winelectron')
  const src = path.join(tmp, 'app')
  fs.cpSync(FIXTURE, src, { recursive: true })
  // The package as installed (its "files"), with the Windows addon only.
  const pkg = path.join(src, 'node_modules', 'elife')
  fs.mkdirSync(pkg, { recursive: true })
  for (const f of ['package.json', 'index.js', 'pm.js', 'lib', ADDON]) fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true })
  resources = path.join(tmp, 'resources')
  fs.mkdirSync(resources)
  const asar = await import('@electron/asar')
  await asar.createPackageWithOptions(src, path.join(resources, 'app.asar'), { unpack: '*.node' })
  assert.ok(fs.existsSync(path.join(resources, 'app.asar.unpacked', 'node_modules', 'elife', ADDON)))
  assert.ok(!fs.existsSync(path.join(resources, 'app.asar.unpacked', 'services')), 'services stay packed')
})

// Each run's userData lives in the prefix's profile (see main.js): removed afterwards.
const tokens = []
test.after(() => {
  const users = path.join(ENV.WINEPREFIX, 'drive_c', 'users')
  for (const user of fs.readdirSync(users)) {
    for (const token of tokens) {
      fs.rmSync(path.join(users, user, 'AppData', 'Roaming', 'elife-pm-test-' + token), { recursive: true, force: true })
    }
  }
})

function readEvents (out) {
  try {
    return fs.readFileSync(path.join(out, 'main.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  } catch (e) {
    return []
  }
}

/** Starts Electron on the packed app; `token` marks its command line for pgrep. */
function runElectron (scenario, token) {
  tokens.push(token)
  const out = tmpdir('winelectron-' + scenario)
  const log = fs.openSync(path.join(out, 'electron.out'), 'w')
  const env = Object.assign({}, ENV, { PM_TEST_OUT: winPath(out), PM_TEST_SCENARIO: scenario, PM_TEST_RUN: token })
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', 'wine', ELECTRON_EXE,
    '--no-sandbox', '--disable-gpu', path.join(resources, 'app.asar'), '--pm-test-token=' + token], { env, stdio: ['ignore', log, log] })
  fs.closeSync(log)
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const output = () => fs.readFileSync(path.join(out, 'electron.out'), 'utf8').split('\n').filter((l) => !/ALSA|^\s*$/.test(l)).slice(-30).join('\n')
  return { child, out, exited, output }
}

/** `promise`'s value, or 'timeout' after `ms` (the timer does not outlive it). */
function within (promise, ms) {
  let timer
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, ms, 'timeout') })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function ready (run) {
  const event = await waitFor('the service ready', () => {
    const events = readEvents(run.out)
    const err = events.find((e) => e.event === 'error')
    if (err) throw new Error('main.js failed: ' + err.message)
    return events.find((e) => e.event === 'ready')
  }, 90000).catch((e) => { throw new Error(e.message + '\n' + run.output()) })
  return event.ready
}

test('a service packed in app.asar runs on Electron, reads its packed file, and stops politely on quit', { timeout: 180000 }, async () => {
  const run = runElectron('quit', 'quit-' + process.pid)
  try {
    const r = await ready(run)
    assert.strictEqual(r.data.greeting, 'read from inside app.asar')
    assert.strictEqual(r.electron, '9.4.1')
    assert.strictEqual(r.runAsNode, null, 'pm\'s preload took ELECTRON_RUN_AS_NODE away (electron-env.linux.js)')
    assert.match(r.execPath, /electron\.exe$/i)
    assert.match(r.filename, /app\.asar\\services\\service\.js$/)
    const res = await within(run.exited, 60000)
    assert.notStrictEqual(res, 'timeout', 'Electron did not quit\n' + run.output())
    const events = readEvents(run.out)
    assert.deepStrictEqual(events.find((e) => e.event === 'process-exit'), Object.assign({}, events.find((e) => e.event === 'process-exit'), { code: 0 }), run.output())
    assert.ok(fs.existsSync(path.join(run.out, 'svc-onstopping.json')), "the service's onstopping ran before Electron exited")
    assert.doesNotMatch(run.output(), /elife\/pm: state directory/, 'pm accepted its state directory under userData (in the profile)')
    assert.deepStrictEqual(leftAfter([r.pid, r.grandchildPid], 10000, path.join(run.out, 'after.out')), [])
  } finally {
    await endXvfbRun(run.child)
  }
})

test('nothing pm started is left after Electron is killed outright (kill -9 of its Wine process)', { timeout: 180000 }, async () => {
  const token = 'kill-' + process.pid
  const run = runElectron('kill', token)
  try {
    const r = await ready(run)
    // Electron's main process: its command line has the token; its helpers (--type=...) do not.
    // xvfb-run's own command line has it too: a SIGKILL to xvfb-run would leave its Xvfb behind.
    const mains = linuxPids(`electron\\.exe .*--pm-test-token=${token}`).filter((p) => p !== run.child.pid)
    assert.ok(mains.length >= 1, 'found Electron among Linux processes')
    const xvfb = xvfbOf(run.child.pid)
    assert.ok(xvfb, 'found the Xvfb that xvfb-run started')
    for (const p of mains) process.kill(p, 'SIGKILL')
    assert.deepStrictEqual(leftAfter([r.pid, r.grandchildPid], 10000, path.join(run.out, 'after.out')), [])
    // Its command gone, xvfb-run exits and stops its Xvfb.
    const res = await within(run.exited, 30000)
    assert.notStrictEqual(res, 'timeout', 'xvfb-run did not exit after Electron was killed\n' + run.output())
    assert.deepStrictEqual(await survivors([xvfb], 10000), [], 'xvfb-run left its Xvfb running')
  } finally {
    await endXvfbRun(run.child)
  }
})
