'use strict'
// API calls act on the registry as it was when they were called, in call order
// (src/supervisor.rs), and the supervisor belongs to the main thread. Each race runs 20 times.

const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const pm = require('..')
const { FIXTURES, tmpdir, waitFor, isAlive } = require('./helpers')

const SERVICE = path.join(FIXTURES, 'service.js')
const out = tmpdir('ordering')
const ROUNDS = 20
const svc = (name) => ({ script: SERVICE, name, env: { OUT: out, TAG: name } })

// Every pid pm started, from its start events.
const started = []
pm.on('start', (e) => started.push(e.pid))

test.afterEach(async () => {
  await pm.stopall()
})

function running (name) {
  return pm.list().filter((p) => p.name === name && p.state === 'running')
}

function aliveServices () {
  return started.filter(isAlive)
}

test('two restarts of one name at the same time leave one process running', async () => {
  for (let i = 0; i < ROUNDS; i++) {
    await pm.start(svc('twice'))
    const [a, b] = await Promise.all([pm.restart('twice'), pm.restart('twice')])
    assert.strictEqual(a.length, 1)
    assert.strictEqual(b.length, 1)
    assert.strictEqual(a[0].id, b[0].id, 'the second restart joined the first')
    assert.strictEqual(running('twice').length, 1)
    assert.strictEqual(pm.list().length, 1)
    await pm.stopall()
    assert.deepStrictEqual(aliveServices(), [])
  }
})

test('stop while a restart is in flight: nothing runs once both settle', async () => {
  for (let i = 0; i < ROUNDS; i++) {
    await pm.start(svc('flight'))
    const restarted = pm.restart('flight')
    const stopped = pm.stop('flight')
    await Promise.all([restarted, stopped])
    assert.deepStrictEqual(pm.list(), [])
    assert.deepStrictEqual(aliveServices(), [])
  }
})

test('stopall while a restart is in flight: nothing runs once both settle', async () => {
  for (let i = 0; i < ROUNDS; i++) {
    await pm.start(svc('all'))
    const restarted = pm.restart('all')
    await Promise.all([restarted, pm.stopall()])
    assert.deepStrictEqual(pm.list(), [])
    assert.deepStrictEqual(aliveServices(), [])
  }
})

test('stop then start of the same name in one tick: the new one keeps running', async () => {
  for (let i = 0; i < ROUNDS; i++) {
    const old = await pm.start(svc('again'))
    const stopped = pm.stop('again')
    const fresh = pm.start(svc('again'))
    const [gone, info] = await Promise.all([stopped, fresh])
    assert.deepStrictEqual(gone.map((p) => p.id), [old.id])
    assert.ok(isAlive(info.pid), 'the new process runs')
    assert.ok(!isAlive(old.pid), 'the old one is gone')
    assert.deepStrictEqual(running('again').map((p) => p.id), [info.id])
    await pm.stopall()
  }
})

test('stopall then start in one tick: the new one keeps running', async () => {
  for (let i = 0; i < ROUNDS; i++) {
    await pm.start(svc('after-all'))
    const stopped = pm.stopall()
    const fresh = pm.start(svc('after-all'))
    const [, info] = await Promise.all([stopped, fresh])
    assert.ok(isAlive(info.pid))
    assert.deepStrictEqual(running('after-all').map((p) => p.id), [info.id])
    await pm.stopall()
  }
})

test('a worker thread that loads elife/pm gets a clear error and leaves the main thread\'s services alone', async () => {
  const events = []
  const listener = (e) => events.push(e)
  pm.on('stop', listener)
  const info = await pm.start(svc('main-owned'))
  const code = `
    const { parentPort } = require('worker_threads')
    const pm = require(${JSON.stringify(path.join(__dirname, '..'))})
    let error = null
    try { pm.start({ script: 'x.js' }) } catch (e) { error = e.message }
    parentPort.postMessage(error)
  `
  const worker = new Worker(code, { eval: true })
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await new Promise((resolve) => worker.once('exit', resolve))
  assert.match(String(message), /runs in the main thread only/)
  assert.ok(isAlive(info.pid), 'the service survived the worker')
  assert.strictEqual(running('main-owned').length, 1)
  await pm.stop('main-owned')
  await waitFor('the stop event on the main thread', () => events.some((e) => e.id === info.id))
  pm.off('stop', listener)
})
