'use strict'
// The fuse-wire fixture itself (__test__/fuse-wire.js): the copy keeps running, and ends with
// exactly the wire @electron/fuses documents. The end-to-end use (start() refusing a Node
// service on a binary whose RunAsNode fuse is off) lives with the launch tests.
// Run: node --test __test__/fuse-wire.test.js

const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { tmpdir } = require('./helpers')
const { SENTINEL, fuseWire, copyWithFuseWire } = require('./fuse-wire')

const dir = tmpdir('fuse-wire')
after(() => fs.rmSync(dir, { recursive: true, force: true }))

test('a copy of node with RunAsNode off still runs and ends with the wire', () => {
  const copy = copyWithFuseWire(process.execPath, path.join(dir, 'electron'), '0111')
  const r = childProcess.spawnSync(copy, ['-e', 'process.stdout.write(process.version)'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, process.version)
  const bytes = fs.readFileSync(copy)
  assert.equal(bytes.length, fs.statSync(process.execPath).size + SENTINEL.length + 2 + 4)
  const tail = bytes.subarray(bytes.length - (SENTINEL.length + 6))
  assert.equal(tail.toString('latin1', 0, SENTINEL.length), SENTINEL)
  assert.deepEqual([...tail.subarray(SENTINEL.length)], [1, 4, 0x30, 0x31, 0x31, 0x31])
  assert.equal((fs.statSync(copy).mode & 0o777), 0o755)
})

test('wires of each kind, and bad input named', () => {
  assert.deepEqual([...fuseWire('1').subarray(SENTINEL.length)], [1, 1, 0x31])
  assert.deepEqual([...fuseWire('r').subarray(SENTINEL.length)], [1, 1, 0x72])
  assert.deepEqual([...fuseWire('').subarray(SENTINEL.length)], [1, 0])
  assert.deepEqual([...fuseWire('0', { truncated: true }).subarray(SENTINEL.length)], [1, 1])
  assert.throws(() => fuseWire('2'), /fuses must be a string of '0', '1' and 'r', got "2"/)
})
