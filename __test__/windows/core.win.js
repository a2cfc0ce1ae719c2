'use strict'
// The core API under Windows node.exe 20 (run under Wine by scripts/windows/test.sh): a service
// started in its job with Node's IPC channel, a polite stop that runs onstopping, the end of a
// service without onstopping, the grace period, grandchildren ending with their service,
// process.send, stopall, batch files through cmd.exe, and the exit fields on Windows.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('../..')
const { FIXTURES, tmpdir, waitFor, isAlive, readLines, readText, survivors, startReady } = require('./helpers')

assert.strictEqual(process.platform, 'win32', 'this suite runs in Windows node.exe')

const SERVICE = path.join(FIXTURES, 'service.js')
const WIN = path.join(__dirname, 'fixtures')
const out = tmpdir('wincore')
const svc = (tag, extra = {}, env = {}) => Object.assign({ script: SERVICE, env: Object.assign({ OUT: out, TAG: tag }, env) }, extra)

test.afterEach(async () => {
  await pm.stopall()
})

test('a Node service starts on this node.exe with its arguments, env and IPC channel', async () => {
  const info = await pm.start(svc('info', { name: 'info', args: ['--flag', 'x y', 'say "hi"', 'C:\\dir\\', ''] }, { EXTRA: 'given' }))
  assert.strictEqual(info.state, 'running')
  assert.ok(info.pid > 0 && isAlive(info.pid))
  const seen = JSON.parse(await waitFor('env report', () => readText(path.join(out, 'info.env'))))
  assert.deepStrictEqual(seen.argv, ['--flag', 'x y', 'say "hi"', 'C:\\dir\\', ''])
  assert.strictEqual(seen.env.EXTRA, 'given')
  assert.strictEqual(seen.env.ELECTRON_RUN_AS_NODE, undefined, 'pm\'s preload takes the variable away once the service runs (__test__/electron-env.test.js)')
  assert.strictEqual(seen.env.ELIFE_PM_PARENT, undefined, 'the service recognised its parent (process.ppid) and took the marker')
  assert.strictEqual(seen.execPath.toLowerCase(), process.execPath.toLowerCase())
  const pathNames = Object.keys(seen.env).filter((k) => k.toUpperCase() === 'PATH')
  assert.strictEqual(pathNames.length, 1, `one PATH variable, got ${pathNames}`)
  assert.strictEqual(seen.env[pathNames[0]], process.env.PATH)
})

test("stop runs the service's onstopping over the IPC channel; it exits 0 without a signal", async () => {
  const a = await startReady(pm, svc('polite', { name: 'polite', stopTimeout: 5000 }, { ONSTOPPING: '1', SEND: 'ready' }))
  const t0 = Date.now()
  const [info] = await pm.stop('polite')
  assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`)
  assert.strictEqual(readText(path.join(out, 'polite.stopped')), String(a.pid), 'onstopping ran')
  assert.strictEqual(info.lastExit.code, 0)
  assert.strictEqual(info.lastExit.signal, null)
  assert.deepStrictEqual(await survivors([a.pid]), [])
})

test('a service without onstopping is ended with its job at once ("SIGTERM")', async () => {
  const a = await pm.start(svc('quick', { name: 'quick', stopTimeout: 5000 }))
  await waitFor('ready', () => readText(path.join(out, 'quick.ready')) !== null)
  const t0 = Date.now()
  const [info] = await pm.stop('quick')
  assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms of a 5000 ms grace period`)
  assert.strictEqual(info.lastExit.signal, 'SIGTERM')
  assert.strictEqual(info.lastExit.code, null, 'as Node reports a child it killed on Windows')
  assert.deepStrictEqual(await survivors([a.pid]), [])
})

test('an onstopping that never finishes is ended after stopTimeout ("SIGKILL")', async () => {
  const a = await startReady(pm, { name: 'stubborn', script: path.join(WIN, 'stubborn.js'), stopTimeout: 600, env: { OUT: out } })
  const t0 = Date.now()
  const [info] = await pm.stop('stubborn')
  const took = Date.now() - t0
  assert.ok(took >= 580 && took < 4000, `ended after ${took} ms`)
  assert.strictEqual(readText(path.join(out, 'stubborn.asked')), 'yes', 'it was asked first')
  assert.strictEqual(info.lastExit.signal, 'SIGKILL')
  assert.strictEqual(info.lastExit.code, null)
  assert.deepStrictEqual(await survivors([a.pid]), [])
})

test("a service's child stops with it (the job)", async () => {
  const a = await startReady(pm, svc('family', { name: 'family' }, { GRANDCHILD: '1', ONSTOPPING: '1', SEND: 'ready' }))
  const gc = Number(await waitFor('grandchild pid', () => readText(path.join(out, 'family.grandchild'))))
  assert.ok(isAlive(gc))
  await pm.stop('family')
  assert.deepStrictEqual(await survivors([a.pid, gc]), [])
})

test("the job also takes a service's child when the service exits by itself", async () => {
  const a = await pm.start(svc('leaver', { name: 'leaver', restartAt: [] }, { GRANDCHILD: '1', EXIT_AFTER: '1500', EXIT_CODE: '0' }))
  const gc = Number(await waitFor('grandchild pid', () => readText(path.join(out, 'leaver.grandchild'))))
  assert.ok(isAlive(gc))
  await waitFor('exit', () => pm.list().find((p) => p.name === 'leaver').state === 'stopped')
  assert.deepStrictEqual(await survivors([a.pid, gc]), [])
})

test('services can use process.send; pm relays it', async () => {
  const got = new Promise((resolve) => pm.on('message', function onMessage (e) {
    pm.off('message', onMessage)
    resolve(e)
  }))
  const a = await pm.start(svc('send', { name: 'send' }, { SEND: 'there', ONSTOPPING: '1' }))
  const e = await got
  assert.deepStrictEqual(e.message, { hello: 'there' })
  assert.strictEqual(e.pid, a.pid)
})

test('stopall stops them all in parallel', async () => {
  const started = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    pm.start(svc('all' + i, { stopTimeout: 3000 }, { ONSTOPPING: i % 2 ? '1' : '' }))))
  const t0 = Date.now()
  await pm.stopall()
  assert.ok(Date.now() - t0 < 5000, `stopall took ${Date.now() - t0} ms`)
  assert.deepStrictEqual(await survivors(started.map((p) => p.pid)), [])
  assert.deepStrictEqual(pm.list(), [])
})

test('a crash reports the exit code; an NTSTATUS crash code comes out negative', async () => {
  await pm.start({ name: 'code', script: path.join(WIN, 'exit-with.js'), args: ['7'], restartAt: [] })
  await pm.start({ name: 'ntstatus', script: path.join(WIN, 'exit-with.js'), args: ['3221225477'], restartAt: [] })
  await waitFor('both ended', () => pm.list().every((p) => p.state === 'errored'))
  const exit = (n) => pm.list().find((p) => p.name === n).lastExit
  assert.strictEqual(exit('code').code, 7)
  assert.strictEqual(exit('code').signal, null)
  assert.strictEqual(exit('ntstatus').code, 0xC0000005 | 0, 'STATUS_ACCESS_VIOLATION as a signed 32-bit code')
})

test('a batch file runs through cmd.exe; its output reaches the log', async () => {
  const log = path.join(out, 'batch.log')
  await pm.start({ name: 'batch', script: path.join(WIN, 'echo args.cmd'), args: ['a b', 'x&echo INJECTED', '(y)'], log, restartAt: [] })
  await waitFor('exit', () => pm.list().find((p) => p.name === 'batch').state !== 'running')
  const info = pm.list().find((p) => p.name === 'batch')
  assert.strictEqual(info.lastExit.code, 4, JSON.stringify(info))
  const lines = readLines(log).map((l) => l.replace(/^.* out: /, ''))
  assert.deepStrictEqual(lines, ['["a b"] ["x&echo INJECTED"] ["(y)"]'])
})

test('a batch file argument cmd.exe would expand is refused with a clear error', async () => {
  await assert.rejects(
    pm.start({ name: 'bad-batch', script: path.join(WIN, 'echo args.cmd'), args: ['%PATH%'], restartAt: [] }),
    /argument 1 \("%PATH%"\) contains '%'/)
})
