'use strict'
// Electron's RunAsNode fuse, end to end: a main process running on a binary whose fuse wire
// says RunAsNode is off refuses to start a Node service on it, with an error that names the
// fuse and the fixes; a wire that says on, removed, or no wire at all runs it. The "Electron"
// here is a copy of this Node with a fuse wire appended (__test__/fuse-wire.js).

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT, tmpdir } = require('./helpers')
const { copyWithFuseWire } = require('./fuse-wire')

const dir = tmpdir('fuse')
fs.writeFileSync(path.join(dir, 'svc.js'), 'process.exit(0)\n')
const MAIN = `
  const pm = require(${JSON.stringify(ROOT)})
  let started
  try {
    started = pm.start({ script: ${JSON.stringify(path.join(dir, 'svc.js'))}, restartAt: [] })
  } catch (e) {
    console.log(JSON.stringify({ error: e.message }))
    process.exit(0)
  }
  started.then(() => console.log(JSON.stringify({ started: true })), (e) => console.log(JSON.stringify({ rejected: e.message })))
`

function runOn (fuses) {
  const binary = path.join(dir, 'electron-' + (fuses || 'none'))
  if (fuses === null) fs.copyFileSync(process.execPath, binary)
  else copyWithFuseWire(process.execPath, binary, fuses)
  fs.chmodSync(binary, 0o755)
  const r = spawnSync(binary, ['-e', MAIN], { encoding: 'utf8', timeout: 30000 })
  assert.strictEqual(r.status, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

// The binary is read on a thread of its own from init: start() throws when the answer is
// already there, else its promise rejects once it is. Either way nothing is spawned.
test('RunAsNode off: start() of a Node service fails, naming the fuse and both fixes', () => {
  const r = runOn('0')
  const message = r.error || r.rejected
  assert.ok(message, JSON.stringify(r))
  assert.match(message, /RunAsNode fuse turned off/)
  assert.match(message, /@electron\/fuses/)
  assert.match(message, /interpreter/)
})

test('RunAsNode on, removed, or no fuse wire: the service starts', () => {
  for (const fuses of ['1', 'r1', null]) {
    assert.deepStrictEqual(runOn(fuses), { started: true }, String(fuses))
  }
})
