'use strict'
// Crash restarts on the backoff schedule: measured delays, the default schedule's first steps,
// the restartOk reset, restarts off, cancel on stop, restart() starting afresh, a failed
// respawn, and every event's payload.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('..')
const { FIXTURES, tmpdir, sleep, waitFor } = require('./helpers')

const SERVICE = path.join(FIXTURES, 'service.js')
const out = tmpdir('restart')

// Records every event with the process's info at the moment it arrived.
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

// The delay between each exit and the next start, from the supervisor's own timestamps.
function measuredDelays (events) {
  return events.of('start').slice(1).map((e) => e.info.startedAt - e.info.lastExit.at)
}

function crasher (name, extra = {}, env = {}) {
  return Object.assign({ name, script: SERVICE, env: Object.assign({ OUT: out, TAG: name, EXIT_AFTER: '0' }, env) }, extra)
}

test.afterEach(() => pm.stopall())

test('delays follow restartAt, the last one repeating, within a few ms', async () => {
  const events = recorder()
  await pm.start(crasher('short', { restartAt: [0, 100, 300, 600] }))
  await waitFor('six starts', () => events.of('start').length >= 6, 15000)
  events.close()
  await pm.stop('short')
  const want = [0, 100, 300, 600, 600]
  const got = measuredDelays(events).slice(0, 5)
  got.forEach((d, i) => {
    assert.ok(d >= want[i] - 1 && d <= want[i] + 50, `restart ${i + 1}: waited ${d.toFixed(1)} ms, wanted ${want[i]} (all: ${got.map((x) => x.toFixed(1))})`)
  })
  assert.deepStrictEqual(events.of('restart').slice(0, 5).map((e) => [e.attempt, e.delay]), [[1, 0], [2, 100], [3, 300], [4, 600], [5, 600]])
})

test("the default schedule's first steps: at once, 100 ms, 500 ms", async () => {
  const events = recorder()
  await pm.start(crasher('default'))
  await waitFor('four starts', () => events.of('start').length >= 4, 15000)
  events.close()
  const got = measuredDelays(events).slice(0, 3)
  ;[0, 100, 500].forEach((want, i) => assert.ok(got[i] >= want - 1 && got[i] <= want + 60, `step ${i + 1}: ${got[i]} ms, wanted ${want}`))
  const info = pm.list().find((p) => p.name === 'default')
  assert.ok(info.restarts >= 3)
})

test('a crash after a run of restartOk counts as a first crash again', async () => {
  const events = recorder()
  await pm.start(crasher('stable', { restartAt: [0, 5000], restartOk: 150 }, { EXIT_AFTER: '250' }))
  await waitFor('four starts', () => events.of('start').length >= 4, 15000)
  events.close()
  assert.deepStrictEqual(events.of('restart').slice(0, 3).map((e) => [e.attempt, e.delay]), [[1, 0], [1, 0], [1, 0]])
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
  assert.strictEqual(events.of('start').length, 2)
  assert.strictEqual(events.of('restart').length, 0)
  const exit = events.of('exit').find((e) => e.name === 'once')
  assert.deepStrictEqual(Object.keys(exit).sort(), ['code', 'completed', 'id', 'info', 'killed', 'lastLines', 'name', 'pid', 'requested', 'signal', 'type'])
  assert.strictEqual(exit.requested, false)
  assert.strictEqual(exit.completed, false)
  assert.strictEqual(events.of('exit').find((e) => e.name === 'clean').completed, true, 'a clean exit with restarts off completed the service')
  assert.strictEqual(clean.completed, true)
  assert.strictEqual(once.completed, false)
  assert.strictEqual(exit.code, 3)
})

test('any exit pm did not ask for is a crash, code 0 included', async () => {
  const events = recorder()
  await pm.start(crasher('zero', { restartAt: [0] }, { EXIT_CODE: '0' }))
  await waitFor('a restart', () => events.of('start').length >= 2)
  events.close()
  assert.strictEqual(events.of('exit')[0].code, 0)
})

test('stop during backoff cancels the pending restart; list shows the wait', async () => {
  const events = recorder()
  await pm.start(crasher('waiting', { restartAt: [3000] }))
  await waitFor('backoff', () => (pm.list().find((p) => p.name === 'waiting') || {}).state === 'backoff')
  const info = pm.list().find((p) => p.name === 'waiting')
  assert.strictEqual(info.pid, null)
  assert.ok(info.nextStartAt > Date.now() + 2000 && info.nextStartAt < Date.now() + 3100, `nextStartAt ${info.nextStartAt - Date.now()} ms ahead`)
  const t0 = Date.now()
  const [stopped] = await pm.stop('waiting')
  // The restart was 2 s or more away: a stop that waited for it would take that long.
  assert.ok(Date.now() - t0 < 1500, 'stop did not wait for the pending restart')
  assert.strictEqual(stopped.state, 'stopped')
  await sleep(3200)
  events.close()
  assert.strictEqual(events.of('start').length, 1, 'no start after the stop')
  const stop = events.of('stop').pop()
  assert.deepStrictEqual([stop.name, stop.pid], ['waiting', null])
})

test('restart() begins the schedule afresh', async () => {
  const events = recorder()
  await pm.start(crasher('fresh', { restartAt: [0, 50, 100, 150, 3000] }))
  await waitFor('attempt 4', () => events.of('restart').some((e) => e.attempt === 4), 10000)
  await waitFor('backoff', () => pm.list().some((p) => p.name === 'fresh' && p.state === 'backoff'))
  const [again] = await pm.restart('fresh')
  assert.strictEqual(again.restarts, 0)
  const mark = events.length
  await waitFor('next restart', () => events.slice(mark).some((e) => e.type === 'restart'))
  events.close()
  assert.strictEqual(events.slice(mark).find((e) => e.type === 'restart').attempt, 1)
})

test('every event carries its payload; the restart count grows', async () => {
  const events = recorder()
  const started = await pm.start(crasher('payload', { restartAt: [0, 30] }))
  await waitFor('three starts', () => events.of('start').length >= 3)
  const [last] = await pm.stop('payload')
  events.close()
  const start = events.of('start')[0]
  assert.deepStrictEqual([start.id, start.name, start.pid], [started.id, 'payload', started.pid])
  const restart = events.of('restart')[0]
  assert.deepStrictEqual([restart.name, restart.attempt, restart.delay], ['payload', 1, 0])
  const exits = events.of('exit')
  assert.ok(exits.some((e) => e.requested === false && e.code === 1))
  assert.ok(last.restarts >= 2, `restarts ${last.restarts}`)
  const stop = events.of('stop').pop()
  assert.strictEqual(stop.name, 'payload')
})

test('a respawn that fails is reported, errored in between, and retried on the schedule', async () => {
  const cwd = tmpdir('gone')
  const events = recorder()
  await pm.start(crasher('vanishing', { cwd, restartAt: [100, 100, 100] }, { EXIT_AFTER: '200' }))
  fs.rmSync(cwd, { recursive: true })
  await waitFor('an error event', () => events.of('error').length >= 1)
  const error = events.of('error')[0]
  assert.strictEqual(error.name, 'vanishing')
  assert.match(error.message, /working directory .* does not exist/)
  assert.ok(error.info.error && /does not exist/.test(error.info.error))
  await waitFor('the retries', () => events.of('restart').length >= 3)
  fs.mkdirSync(cwd)
  await waitFor('a start again', () => events.of('start').length >= 2, 5000)
  events.close()
  assert.ok(events.of('error').length >= 2, 'each failed respawn is reported')
})
