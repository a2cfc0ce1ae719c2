'use strict'
// `.mjs` services on Electron 9.4.1, whose Node 12.14 runs ES modules only behind
// --experimental-modules: pm passes the flag there (src/start/launch.rs), so the service runs
// instead of crash-looping with ERR_REQUIRE_ESM. The main process is Electron as Node
// (ELECTRON_RUN_AS_NODE), so services run on Electron's binary as in an app.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { electronPath } = require('../scripts/electron-path')
const { ROOT, tmpdir } = require('./helpers')

const dir = tmpdir('mjs')
fs.writeFileSync(path.join(dir, 'svc.mjs'), `
import { sep } from 'path'
process.send({ esm: typeof import.meta === 'object', sep, node: process.versions.node })
setInterval(() => {}, 1000)
`)
fs.writeFileSync(path.join(dir, 'main.js'), `
const pm = require(${JSON.stringify(ROOT)})
let crashes = 0
pm.on('exit', function () { crashes++ })
pm.on('message', function (e) {
  console.log(JSON.stringify({ message: e.message, crashes: crashes }))
  pm.stopall().then(function () { process.exit(0) })
})
pm.start({ script: ${JSON.stringify(path.join(dir, 'svc.mjs'))}, restartAt: [] })
setTimeout(function () { console.log(JSON.stringify({ timedOut: true, crashes: crashes })); process.exit(1) }, 20000)
`)

test('an .mjs service runs on Electron 9.4.1 (Node 12.14) and talks over IPC', () => {
  const electron = electronPath()
  const r = spawnSync(electron, [path.join(dir, 'main.js')], {
    encoding: 'utf8',
    timeout: 60000,
    env: Object.assign({}, process.env, { ELECTRON_RUN_AS_NODE: '1' })
  })
  assert.strictEqual(r.status, 0, r.stdout + r.stderr)
  const got = JSON.parse(r.stdout.trim().split('\n').pop())
  assert.strictEqual(got.crashes, 0, r.stderr)
  assert.strictEqual(got.message.esm, true)
  assert.strictEqual(got.message.node, '12.14.1')
})
