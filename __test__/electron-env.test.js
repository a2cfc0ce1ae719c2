'use strict'
// Node services do not hand ELECTRON_RUN_AS_NODE on (issue 21): in a real Electron 9.4.1 app
// (packed into app.asar, run under xvfb-run) and in plain Node, two services (a CommonJS one
// packed in the archive with args, an ES module from app.asar.unpacked) check that the variable
// is gone for them and for a shell they start, while fork(), spawn/execFile/exec of
// process.execPath and their *Sync forms still start Node; that process.argv, require.main,
// __filename and import.meta.url are what the service expects. pm's package is packed, so the
// preload is copied out of the archive; a second app run has it unpacked instead. The fixture is
// fixtures/electron-env, laid out by electron-env-app.js. Fails, never skips, without Electron or
// xvfb-run. Run: node --test __test__/electron-env.test.js

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { tmpdir } = require('./helpers')
const { layOut, pack, readEvents, checkRun } = require('./electron-env-app')
const { electronPath, ELECTRON_VERSION } = require('../scripts/electron-path')

const ADDON = 'pm.linux-x64-gnu.node'
const RUN_TIMEOUT = 150000

let electron
let tmp
let appDir
let archive

before(async () => {
  electron = electronPath()
  const xvfb = childProcess.spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' })
  assert.ok(!xvfb.error, 'xvfb-run is required (scripts/install-system-deps.sh)')
  tmp = tmpdir('electron-env')
  appDir = path.join(tmp, 'app')
  layOut(appDir, ADDON)
  archive = await pack(appDir, path.join(tmp, 'resources'), ADDON)
})

function escape (s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// The environment the main process starts with: ours, minus what would change how it runs.
function cleanEnv (extra) {
  const env = { ...process.env, ...extra }
  for (const k of ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ASAR', 'NODE_OPTIONS', 'NODE_CHANNEL_FD',
    'NODE_CHANNEL_SERIALIZATION_MODE', 'ELIFE_PM_PARENT', 'NODE_TEST_CONTEXT']) {
    delete env[k]
  }
  return env
}

/** Runs `command` until it exits (killed after RUN_TIMEOUT); its output and main.jsonl. */
function runMain (label, command, args, out) {
  fs.mkdirSync(out, { recursive: true })
  return new Promise((resolve) => {
    const child = childProcess.spawn(command, args, {
      cwd: out,
      env: cleanEnv({ PM_TEST_OUT: out, PM_TEST_USERDATA: path.join(out, 'userData') }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (d) => { output += d })
    child.stderr.on('data', (d) => { output += d })
    const timer = setTimeout(() => {
      output += `\n[killed after ${RUN_TIMEOUT} ms]`
      try { process.kill(-child.pid, 'SIGKILL') } catch (e) {}
    }, RUN_TIMEOUT)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const events = readEvents(out)
      resolve({ code, signal, events, why: `${label}: exit ${code} ${signal}\n${output.split('\n').slice(-40).join('\n')}` })
    })
  })
}

test(`in an Electron ${ELECTRON_VERSION} app (app.asar): services and what they start see ELECTRON_RUN_AS_NODE only where Node needs it`, { timeout: RUN_TIMEOUT + 30000 }, async () => {
  const out = path.join(tmp, 'out-electron')
  const r = await runMain('electron', 'xvfb-run', ['-a', electron, '--no-sandbox', archive], out)
  assert.equal(r.code, 0, r.why)
  const reports = checkRun(r.events, {
    electron: ELECTRON_VERSION,
    node: '12.14.1',
    // pm's package is packed in app.asar: Electron's Node loads --require files before its asar
    // support is up, so pm copied the preload to a private temporary directory.
    preload: /[\\/]elife-pm-node-[^\\/]+[\\/]run-as-node-preload\.js$/,
    why: r.why
  })
  assert.equal(reports.js.execPath, electron)
  assert.match(reports.js.filename, /[\\/]resources[\\/]app\.asar[\\/]services[\\/]env\.js$/)
  assert.equal(reports.mjs.cwd, path.join(archive + '.unpacked', 'unpacked'))
  // The copy is removed when the app exits.
  assert.ok(!fs.existsSync(reports.js.execArgv[1]), `${reports.js.execArgv[1]} was removed at exit`)
})

test(`in an Electron ${ELECTRON_VERSION} app whose asarUnpack has the preload: pm runs it from app.asar.unpacked`, { timeout: RUN_TIMEOUT + 30000 }, async () => {
  const unpackedArchive = await pack(appDir, path.join(tmp, 'resources-unpacked-preload'), ADDON, true)
  const out = path.join(tmp, 'out-electron-unpacked-preload')
  const r = await runMain('electron', 'xvfb-run', ['-a', electron, '--no-sandbox', unpackedArchive], out)
  assert.equal(r.code, 0, r.why)
  const preload = path.join(unpackedArchive + '.unpacked', 'node_modules', 'elife', 'lib', 'run-as-node-preload.js')
  checkRun(r.events, { electron: ELECTRON_VERSION, node: '12.14.1', preload: new RegExp('^' + escape(preload) + '$'), why: r.why })
})

test(`in plain Node ${process.versions.node}: the same, with the preload from the package`, { timeout: RUN_TIMEOUT + 30000 }, async () => {
  const out = path.join(tmp, 'out-node')
  const r = await runMain('node', process.execPath, [path.join(appDir, 'main.js')], out)
  assert.equal(r.code, 0, r.why)
  const preload = path.join(appDir, 'node_modules', 'elife', 'lib', 'run-as-node-preload.js')
  const reports = checkRun(r.events, {
    electron: null,
    node: process.versions.node,
    preload: new RegExp('^' + escape(preload) + '$'),
    why: r.why
  })
  assert.equal(reports.js.execPath, process.execPath)
})
