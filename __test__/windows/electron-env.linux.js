'use strict'
// Issue 21 in the Windows Electron 9.4.1 (electron.exe under Wine, under xvfb-run): the app of
// fixtures/electron-env, packed into app.asar with the Windows addon. Its two Node services (a
// CommonJS one packed in the archive with args, an ES module from app.asar.unpacked) check that
// ELECTRON_RUN_AS_NODE is gone for them and for what they start (`cmd /d /s /c set` lists no
// such variable), while fork(), spawn/execFile/exec of process.execPath (electron.exe) and their
// *Sync forms still start Node; and that process.argv, require.main, __filename and
// import.meta.url are what the service expects. The checks are electron-env-app.js's, shared
// with the Linux suite. Runs in Linux node, driving Wine; fails (never skips) without Wine, the
// Windows runtimes or xvfb-run.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { tmpdir } = require('../helpers')
const { layOut, pack, readEvents, checkRun } = require('../electron-env-app')
const { ELECTRON_EXE, ENV, requireWine, winPath } = require('./wine')

const ADDON = 'pm.win32-x64-gnu.node'
const RUN_TIMEOUT = 240000
let archive

test.before(async () => {
  requireWine()
  assert.strictEqual(spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).status, 0, 'xvfb-run is required')
  const tmp = tmpdir('winelectron-env')
  layOut(path.join(tmp, 'app'), ADDON)
  archive = await pack(path.join(tmp, 'app'), path.join(tmp, 'resources'), ADDON)
})

// The run's userData lives in the prefix's profile (main.js): removed afterwards.
const RUN = 'env-' + process.pid
test.after(() => {
  const users = path.join(ENV.WINEPREFIX, 'drive_c', 'users')
  for (const user of fs.readdirSync(users)) {
    fs.rmSync(path.join(users, user, 'AppData', 'Roaming', 'elife-pm-env-test-' + RUN), { recursive: true, force: true })
  }
})

test('in the Windows Electron 9.4.1 app: services and what they start see ELECTRON_RUN_AS_NODE only where Node needs it', { timeout: RUN_TIMEOUT + 30000 }, async () => {
  const out = tmpdir('winelectron-env-out')
  const log = fs.openSync(path.join(out, 'electron.out'), 'w')
  const env = Object.assign({}, ENV, { PM_TEST_OUT: winPath(out), PM_TEST_RUN: RUN })
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', 'wine', ELECTRON_EXE,
    '--no-sandbox', '--disable-gpu', archive], { env, stdio: ['ignore', log, log] })
  fs.closeSync(log)
  const output = () => fs.readFileSync(path.join(out, 'electron.out'), 'utf8').split('\n')
    .filter((l) => !/ALSA|^\s*$/.test(l)).slice(-40).join('\n')
  try {
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    let timer
    const timedOut = new Promise((resolve) => { timer = setTimeout(resolve, RUN_TIMEOUT, 'timeout') })
    const res = await Promise.race([exited, timedOut])
    clearTimeout(timer)
    assert.notStrictEqual(res, 'timeout', `Electron did not quit within ${RUN_TIMEOUT} ms\n` + output())
    checkRun(readEvents(out), {
      electron: '9.4.1',
      node: '12.14.1',
      // pm's package is packed: the preload is copied out of the archive, into Windows' temp.
      preload: /\\elife-pm-node-[^\\]+\\run-as-node-preload\.js$/,
      why: output()
    })
    assert.strictEqual(res.code, 0, output())
  } finally {
    child.kill('SIGKILL')
  }
})
