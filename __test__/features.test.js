'use strict'
// What apps expect of a supervisor: readiness, start order, a restart limit, a memory limit,
// metrics in list(), messages to services, restartall().

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('..')
const { FIXTURES, tmpdir, waitFor, isAlive, readLines } = require('./helpers')

const F = path.join(FIXTURES, 'features')
const out = tmpdir('features')
const order = () => readLines(path.join(out, 'order'))
const svc = (name, extra = {}, env = {}) => Object.assign({
  script: path.join(F, 'ready.js'),
  name,
  env: Object.assign({ OUT: out, TAG: name }, env)
}, extra)

function recorder () {
  const seen = []
  const types = ['start', 'ready', 'exit', 'restart', 'stop', 'error', 'message']
  const fns = types.map((type) => {
    const fn = (e) => seen.push(Object.assign({ type }, e))
    pm.on(type, fn)
    return [type, fn]
  })
  return {
    of: (type, name) => seen.filter((e) => e.type === type && (name === undefined || e.name === name)),
    close: () => fns.forEach(([type, fn]) => pm.off(type, fn))
  }
}

test.beforeEach(() => fs.rmSync(path.join(out, 'order'), { force: true }))
test.afterEach(async () => {
  await pm.stopall()
})

test('waitReady: start() resolves once the service said ready(); the second ready() is a no-op', async () => {
  const events = recorder()
  const before = Date.now()
  const info = await pm.start(svc('slow', { waitReady: true }, { READY_AFTER: '400' }))
  assert.ok(Date.now() - before >= 350, 'resolved before ready()')
  assert.strictEqual(info.ready, true)
  assert.strictEqual(pm.list()[0].ready, true)
  assert.strictEqual(events.of('ready', 'slow').length, 1)
  const calls = await waitFor('ready() results', () => events.of('message', 'slow').find((e) => e.message.readyCalls))
  assert.deepStrictEqual(calls.message.readyCalls, [true, false])
  events.close()
})

test('waitReady: a service that never says ready() rejects start() after readyTimeout and is stopped', async () => {
  const started = pm.start(svc('never', { waitReady: true, readyTimeout: 300 }))
  await assert.rejects(started, /did not get ready within its readyTimeout of 300 ms/)
  const [info] = pm.list()
  assert.strictEqual(info.state, 'errored')
  assert.strictEqual(info.pid, null)
  assert.ok(!isAlive(info.lastExit.pid))
})

test('waitReady with the Python helper; pm.send reaches Node and Python services', async () => {
  const events = recorder()
  const py = await pm.start({ script: path.join(F, 'ready.py'), name: 'py', waitReady: true, readyTimeout: 10000 })
  assert.strictEqual(py.ready, true)
  await pm.start(svc('node'))
  assert.strictEqual(pm.send('py', { n: 1 }), 1)
  assert.strictEqual(pm.send({ name: 'node' }, { n: 2 }), 1)
  assert.strictEqual(pm.send('nobody', { n: 3 }), 0)
  await waitFor('both echoes', () => events.of('message').filter((e) => e.message.echo).length >= 2)
  const echoes = events.of('message').filter((e) => e.message.echo).map((e) => [e.message.from, e.message.echo.n]).sort()
  assert.deepStrictEqual(echoes, [['node', 2], ['python', 1]])
  events.close()
})

test('dependsOn: a service starts after its dependency is ready, even one started after it; stopall stops dependents first', async () => {
  const web = pm.start(Object.assign(svc('web'), { dependsOn: ['db'] }))
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.strictEqual(pm.list().find((p) => p.name === 'web').state, 'starting', 'web waits for db')
  const db = await pm.start(svc('db', { waitReady: true }, { READY_AFTER: '200' }))
  const webInfo = await web
  assert.ok(webInfo.startedAt >= db.startedAt)
  await waitFor('web running its code', () => order().length === 2)
  assert.deepStrictEqual(order(), ['start db', 'start web'])
  await pm.stopall()
  assert.deepStrictEqual(order().slice(2), ['stop web', 'stop db'])
})

test('dependsOn: a cycle is refused; a name pm does not run is reported and waited for', async () => {
  const events = recorder()
  pm.start(svc('a', { dependsOn: ['b'] }))
  assert.throws(() => pm.start(svc('b', { dependsOn: ['a'] })), /dependsOn" makes a cycle: b -> a -> b/)
  assert.throws(() => pm.start(svc('self', { dependsOn: ['self'] })), /cycle: self -> self/)
  await waitFor('the error event (after a second of waiting)', () => events.of('error', 'a').length)
  assert.match(events.of('error', 'a')[0].message, /waits for "b", which pm does not run/)
  events.close()
  assert.throws(() => pm.start(svc('x', { dependsOn: 'db' })), /"dependsOn" must be an array of service names/)
  assert.throws(() => pm.start(svc('x', { dependsOn: [''] })), /dependsOn\[0\] is an empty string/)
})

test('maxRestarts: 3 gives up after one start and three restarts, errored, with an error event', async () => {
  const events = recorder()
  await pm.start({ script: path.join(F, 'crash.js'), name: 'crashy', restartAt: [0], maxRestarts: 3 })
  // list() shows the state at once; the event comes through the JS queue after it.
  await waitFor('the error event', () => events.of('error', 'crashy').length, 30000)
  assert.strictEqual(pm.list()[0].state, 'errored')
  assert.strictEqual(events.of('start', 'crashy').length, 4)
  assert.strictEqual(events.of('restart', 'crashy').length, 3)
  const [error] = events.of('error', 'crashy')
  assert.match(error.message, /crashed 4 times in a row .*maxRestarts: 3.*gave up/)
  assert.strictEqual(pm.list()[0].error, error.message)
  events.close()
})

test('maxMemory: a service that grows past it is restarted politely, with an event that says why', async () => {
  const events = recorder()
  await pm.start({ script: path.join(F, 'grow.js'), name: 'grow', maxMemory: 96 * 1024 * 1024 })
  const restart = await waitFor('a memory restart', () => events.of('restart', 'grow')[0], 20000)
  assert.strictEqual(restart.reason, 'memory')
  const exit = events.of('exit', 'grow')[0]
  assert.strictEqual(exit.requested, true)
  await waitFor('running again', () => events.of('start', 'grow').length === 2)
  events.close()
})

test('list() shows memory (with children), CPU seconds and the log path', async () => {
  const log = path.join(out, 'metrics.log')
  await pm.start(svc('metrics', { log }))
  // Spawned is not yet running its code: read once it did.
  await waitFor('the service running', () => order().includes('start metrics'))
  const [info] = pm.list()
  assert.ok(info.memory > 1024 * 1024, `memory ${info.memory}`)
  assert.ok(info.cpu >= 0 && info.cpu < 60, `cpu ${info.cpu}`)
  assert.strictEqual(info.log, log)
  await pm.start(svc('nolog'))
  assert.strictEqual(pm.list().find((p) => p.name === 'nolog').log, null)
})

test('restartall() restarts every service in dependency order, none overlapping its old self', async () => {
  await pm.start(svc('db2', { waitReady: true }, { READY_AFTER: '100' }))
  await pm.start(Object.assign(svc('web2'), { dependsOn: ['db2'] }))
  const before = pm.list().map((p) => p.pid)
  fs.rmSync(path.join(out, 'order'), { force: true })
  const infos = await pm.restartall()
  assert.deepStrictEqual(infos.map((p) => p.name).sort(), ['db2', 'web2'])
  assert.ok(before.every((pid) => !isAlive(pid)), 'the old processes are gone')
  assert.strictEqual(pm.list().filter((p) => p.state === 'running').length, 2)
  await waitFor('both running their code', () => order().filter((l) => l.startsWith('start')).length === 2)
  const starts = order().filter((l) => l.startsWith('start'))
  assert.deepStrictEqual(starts, ['start db2', 'start web2'])
})

test('new options get clear errors', () => {
  const bad = [
    [{ waitReady: 1 }, /"waitReady" must be a boolean/],
    [{ readyTimeout: 0 }, /"readyTimeout" must be > 0 ms/],
    [{ readyTimeout: -5 }, /"readyTimeout"/],
    [{ maxRestarts: -1 }, /"maxRestarts" must be a whole number/],
    [{ maxRestarts: 1.5 }, /"maxRestarts"/],
    [{ maxMemory: 1000 }, /"maxMemory" must be at least 1048576 bytes/],
    [{ maxMemory: NaN }, /maxMemory.*NaN/]
  ]
  for (const [extra, message] of bad) {
    assert.throws(() => pm.start(svc('bad', extra)), message, JSON.stringify(extra))
  }
  assert.throws(() => pm.send('x', { f () {} }), /pm.send: message "f" must be plain data/)
  assert.strictEqual(pm.ready(), false, 'ready() in the main process does nothing')
})
