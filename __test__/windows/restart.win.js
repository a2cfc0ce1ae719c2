'use strict'
// Crash restarts on the backoff schedule under Windows node.exe (Wine): measured delays, restarts
// off, stop during backoff, and a failed respawn (its working directory gone) reported and
// retried.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('../..')
const { FIXTURES, tmpdir, sleep, waitFor } = require('./helpers')

const SERVICE = path.join(FIXTURES, 'service.js')
const out = tmpdir('winrestart')

function recorder () {
  const events = []
  const listeners = {}
  for (const type of ['start', 'exit', 'restart', 'stop', 'error']) {
    listeners[type] = (e) => events.push(Object.assign({ type, info: pm.list().find((p) => p.id === e.id) }, e))
    pm.on(type, listeners[type])
  }
  events.close = () => { for (const t in listeners) pm.off(t, listeners[t]) }
  events.of = (type) => events.filter((e) => e.type === type)
  return events
}

const measuredDelays = (events) => events.of('start').slice(1).map((e) => e.info.startedAt - e.info.lastExit.at)
const crasher = (name, extra = {}, env = {}) =>
  Object.assign({ name, script: SERVICE, env: Object.assign({ OUT: out, TAG: name, EXIT_AFTER: '0' }, env) }, extra)

test.afterEach(() => pm.stopall())

test('crashes restart after the delays in restartAt, the last one repeating', async () => {
  const events = recorder()
  await pm.start(crasher('short', { restartAt: [0, 100, 300, 600] }))
  await waitFor('six starts', () => events.of('start').length >= 6, 30000)
  events.close()
  await pm.stop('short')
  const want = [0, 100, 300, 600, 600]
  const got = measuredDelays(events).slice(0, 5)
  // The delay is timed by the supervisor from the exit it saw to the start it recorded, which
  // includes the spawn; under Wine on a busy machine a CreateProcess of node.exe took 50-300 ms,
  // hence a much wider upper bound than on Linux (where the same scheduler is timed tightly).
  // The lower bound is what the schedule promises.
  got.forEach((d, i) => {
    assert.ok(d >= want[i] - 1 && d <= want[i] + 500, `restart ${i + 1}: waited ${d.toFixed(1)} ms, wanted ${want[i]} (all: ${got.map((x) => x.toFixed(1))})`)
  })
  assert.deepStrictEqual(events.of('restart').slice(0, 5).map((e) => [e.attempt, e.delay]), [[1, 0], [2, 100], [3, 300], [4, 600], [5, 600]])
  assert.ok(events.of('exit').every((e) => e.code === 1 && e.signal === null && e.requested === false))
})

test('restartAt: [] turns restarts off; a clean exit is stopped, a failed one errored', async () => {
  const events = recorder()
  await pm.start(crasher('once', { restartAt: [] }, { EXIT_CODE: '3' }))
  await pm.start(crasher('clean', { restartAt: [] }, { EXIT_CODE: '0' }))
  await waitFor('both ended', () => pm.list().every((p) => p.state === 'errored' || p.state === 'stopped'))
  await sleep(200)
  events.close()
  const [once, clean] = ['once', 'clean'].map((n) => pm.list().find((p) => p.name === n))
  assert.strictEqual(once.state, 'errored')
  assert.strictEqual(once.lastExit.code, 3)
  assert.strictEqual(clean.state, 'stopped')
  assert.strictEqual(events.of('restart').length, 0)
})

test('stop during backoff cancels the pending restart', async () => {
  const events = recorder()
  await pm.start(crasher('waiting', { restartAt: [3000] }))
  await waitFor('backoff', () => (pm.list().find((p) => p.name === 'waiting') || {}).state === 'backoff')
  const t0 = Date.now()
  const [stopped] = await pm.stop('waiting')
  assert.ok(Date.now() - t0 < 500, 'stop did not wait for the pending restart')
  assert.strictEqual(stopped.state, 'stopped')
  await sleep(3200)
  events.close()
  assert.strictEqual(events.of('start').length, 1, 'no start after the stop')
})

test('a respawn that fails is reported and retried on the schedule', async () => {
  const cwd = tmpdir('wingone')
  const events = recorder()
  await pm.start(crasher('vanishing', { cwd, restartAt: [1500, 100, 100] }))
  // Windows cannot remove a directory a process runs in: remove it during the first wait.
  await waitFor('backoff', () => (pm.list().find((p) => p.name === 'vanishing') || {}).state === 'backoff')
  fs.rmSync(cwd, { recursive: true })
  await waitFor('an error event', () => events.of('error').length >= 1, 10000)
  assert.match(events.of('error')[0].message, /working directory .* does not exist/)
  await waitFor('the retries', () => events.of('restart').length >= 3, 10000)
  fs.mkdirSync(cwd)
  await waitFor('a start again', () => events.of('start').length >= 2, 10000)
  events.close()
})
