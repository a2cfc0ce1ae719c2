'use strict'
// Issue 14's features under Windows node.exe (Wine): readiness, start order, the restart and
// memory limits, metrics in list(), messages to services (large, ordered, and a polite stop
// that never waits for a service that does not read), restartall(). The Linux suite
// (../features.test.js) checks the same where it applies; Python is not here: no Windows Python
// comes from the registries this project can reach.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('../..')
const { FIXTURES, tmpdir, waitFor, isAlive, readLines, startReady, survivors } = require('./helpers')

const F = path.join(FIXTURES, 'features')
const W = path.join(__dirname, 'fixtures')
const out = tmpdir('winfeatures')
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
  const started = pm.start(svc('never', { waitReady: true, readyTimeout: 1000 }))
  await assert.rejects(started, /did not get ready within its readyTimeout of 1000 ms/)
  const [info] = pm.list()
  assert.strictEqual(info.state, 'errored')
  assert.strictEqual(info.pid, null)
  assert.deepStrictEqual(await survivors([info.lastExit.pid]), [])
})

test('dependsOn: a service starts after its dependency is ready, even one started after it; stopall stops dependents first', async () => {
  const events = recorder()
  // web says ready() too (it does not wait for it): its message comes after its onstopping
  // registration, so once pm relayed it, a stop of web is the polite one.
  const web = pm.start(Object.assign(svc('web', {}, { READY_AFTER: '0' }), { dependsOn: ['db'] }))
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.strictEqual(pm.list().find((p) => p.name === 'web').state, 'starting', 'web waits for db')
  const db = await pm.start(svc('db', { waitReady: true }, { READY_AFTER: '200' }))
  const webInfo = await web
  assert.ok(webInfo.startedAt >= db.startedAt)
  await waitFor('both registered', () => ['db', 'web'].every((n) => events.of('message', n).length), 20000)
  events.close()
  assert.deepStrictEqual(order(), ['start db', 'start web'])
  await pm.stopall()
  assert.deepStrictEqual(order().slice(2), ['stop web', 'stop db'])
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
  const restart = await waitFor('a memory restart', () => events.of('restart', 'grow')[0], 30000)
  assert.strictEqual(restart.reason, 'memory')
  const exit = events.of('exit', 'grow')[0]
  assert.strictEqual(exit.requested, true)
  await waitFor('running again', () => events.of('start', 'grow').length === 2, 20000)
  events.close()
})

test('list() shows memory with the children (Toolhelp + working sets), CPU and the log path', async () => {
  const log = path.join(out, 'metrics.log')
  const holder = path.join(W, 'holder.js')
  // The service holds 16 MiB, its child 128 MiB.
  await startReady(pm, { script: holder, name: 'tree', log, env: { OUT: out, HOLD_MIB: '16', CHILD_MIB: '128' } })
  const child = Number(fs.readFileSync(path.join(out, 'holder.child'), 'utf8'))
  assert.ok(isAlive(child))
  await startReady(pm, { script: holder, name: 'alone', env: { OUT: out, HOLD_MIB: '16' } })
  const [tree, alone] = ['tree', 'alone'].map((n) => pm.list().find((p) => p.name === n))
  assert.ok(alone.memory > 16 * 1024 * 1024, `alone: memory ${alone.memory}`)
  assert.ok(tree.memory > alone.memory + 100 * 1024 * 1024, `tree ${tree.memory} vs alone ${alone.memory}: the child's 128 MiB counted`)
  // GetProcessTimes of another process under Wine 8 gives the caller's own times ("FIXME:
  // user/kernel times only work for current process" in its ntdll), so only the form is
  // checked here; the Linux suite checks the value.
  for (const p of [tree, alone]) assert.ok(Number.isFinite(p.cpu) && p.cpu >= 0, `cpu ${p.cpu}`)
  assert.strictEqual(tree.log, log)
  assert.strictEqual(alone.log, null)
  await pm.stopall()
  assert.deepStrictEqual(await survivors([child]), [], 'the child went with its job')
})

test('pm.send reaches a Node service: counts, large messages whole, many in order', async () => {
  const events = recorder()
  await startReady(pm, { script: path.join(W, 'messages.js'), name: 'echo', env: { OUT: out, TAG: 'echo' } })
  assert.strictEqual(pm.send('echo', { n: 'first' }), 1)
  assert.strictEqual(pm.send({ name: 'echo' }, { n: 'second' }), 1)
  assert.strictEqual(pm.send('nobody', { n: 3 }), 0)
  const BIG = 4 << 20 // 64 times the pipe's buffer
  assert.strictEqual(pm.send('echo', { n: 'big', big: 'x'.repeat(BIG) }), 1)
  for (let i = 0; i < 200; i++) pm.send('echo', { n: i })
  const echoes = () => events.of('message', 'echo').filter((e) => e.message.echo).map((e) => e.message.echo)
  await waitFor('203 echoes', () => echoes().length >= 203, 60000)
  const got = echoes()
  assert.deepStrictEqual(got.slice(0, 3), [{ n: 'first' }, { n: 'second' }, { n: 'big', len: BIG }])
  assert.deepStrictEqual(got.slice(3).map((m) => m.n), Array.from({ length: 200 }, (_, i) => i), 'in the order sent')
  events.close()
})

test('a polite stop right after a large message goes after it, never inside it', async () => {
  await startReady(pm, { script: path.join(W, 'messages.js'), name: 'polite', env: { OUT: out, TAG: 'polite' } })
  const BIG = 4 << 20
  assert.strictEqual(pm.send('polite', { n: 1, big: 'y'.repeat(BIG) }), 1)
  const [stopped] = await pm.stop('polite')
  assert.deepStrictEqual(readLines(path.join(out, 'polite.messages')), ['got big 1 ' + BIG, 'stop'])
  assert.strictEqual(stopped.lastExit.signal, null, 'it exited by itself, from onstopping')
})

test('stopping a service that stopped reading its channel, with a large message pending, is not held up by it', async () => {
  const BIG = 4 << 20
  const file = path.join(out, 'deaf.messages')
  await startReady(pm, { script: path.join(W, 'messages.js'), name: 'deaf', stopTimeout: 1000, env: { OUT: out, TAG: 'deaf', BLOCK_AFTER: '1' } })
  // It reads the first message, then never reads again: once it has the first, pm's writer is
  // on the second, which the pipe cannot take.
  assert.strictEqual(pm.send('deaf', { n: 1, big: 'z'.repeat(BIG) }), 1)
  assert.strictEqual(pm.send('deaf', { n: 2, big: 'z'.repeat(BIG) }), 1)
  await waitFor('the first message read', () => readLines(file).length === 1, 20000)
  const t0 = Date.now()
  const res = await Promise.race([pm.stop('deaf'), new Promise((resolve) => setTimeout(resolve, 20000, 'hung').unref())])
  assert.notStrictEqual(res, 'hung', 'stop() waited for a service that never reads')
  const [stopped] = res
  assert.ok(Date.now() - t0 < 10000, `stop took ${Date.now() - t0} ms`)
  assert.strictEqual(stopped.lastExit.signal, 'SIGKILL', 'ended after stopTimeout')
  assert.deepStrictEqual(readLines(file), ['got big 1 ' + BIG])
})

test('restartall() restarts every service in dependency order, none overlapping its old self', async () => {
  await pm.start(svc('db2', { waitReady: true }, { READY_AFTER: '100' }))
  await pm.start(Object.assign(svc('web2'), { dependsOn: ['db2'] }))
  const before = pm.list().map((p) => p.pid)
  await waitFor('both running their code', () => order().filter((l) => l.startsWith('start')).length === 2, 20000)
  fs.rmSync(path.join(out, 'order'), { force: true })
  const infos = await pm.restartall()
  assert.deepStrictEqual(infos.map((p) => p.name).sort(), ['db2', 'web2'])
  assert.deepStrictEqual(await survivors(before), [], 'the old processes are gone')
  assert.strictEqual(pm.list().filter((p) => p.state === 'running').length, 2)
  await waitFor('both running their code again', () => order().filter((l) => l.startsWith('start')).length === 2, 20000)
  assert.deepStrictEqual(order().filter((l) => l.startsWith('start')), ['start db2', 'start web2'])
})
