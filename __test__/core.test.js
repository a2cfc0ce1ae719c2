'use strict'
// The core API under Node 20: start/stop/restart/stopall by name, the stop sequence, process
// groups, the service's onstopping, bad input, and the main process's own child_process use.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const pm = require('..')
const { FIXTURES, tmpdir, sleep, waitFor, isAlive, readLines, survivors } = require('./helpers')

const SERVICE = path.join(FIXTURES, 'service.js')
const out = tmpdir('core')
const svc = (tag, extra = {}, env = {}) => Object.assign({ script: SERVICE, env: Object.assign({ OUT: out, TAG: tag }, env) }, extra)
const pidsOf = (tag) => readLines(path.join(out, tag + '.pids')).map(Number)

test.afterEach(async () => {
  await pm.stopall()
})

test('start resolves with the info of a running process on this Node', async () => {
  const info = await pm.start(svc('info', { name: 'info', args: ['--flag', 'x y'] }, { EXTRA: 'given' }))
  assert.strictEqual(info.name, 'info')
  assert.strictEqual(info.state, 'running')
  assert.ok(info.pid > 0 && isAlive(info.pid))
  assert.strictEqual(info.script, SERVICE)
  assert.ok(Math.abs(info.startedAt - Date.now()) < 10000)
  const seen = JSON.parse(await waitFor('env report', () => {
    try { return fs.readFileSync(path.join(out, 'info.env'), 'utf8') } catch (e) { return null }
  }))
  assert.deepStrictEqual(seen.argv, ['--flag', 'x y'])
  assert.strictEqual(seen.env.EXTRA, 'given', 'env option reaches the service')
  assert.strictEqual(seen.env.PATH, process.env.PATH, 'env is merged over the main environment')
  assert.strictEqual(seen.env.ELECTRON_RUN_AS_NODE, undefined, 'pm\'s preload takes the variable away once the service runs (__test__/electron-env.test.js)')
  assert.strictEqual(seen.env.ELIFE_PM_PARENT, undefined, 'the marker is consumed by the service')
  assert.strictEqual(seen.execPath, process.execPath)
  assert.strictEqual(seen.cwd, process.cwd(), 'cwd defaults to the main process cwd')
  const listed = pm.list().find((p) => p.pid === info.pid)
  assert.strictEqual(listed.state, 'running')
})

test('relative script resolves against cwd', async () => {
  const info = await pm.start({ script: 'service.js', cwd: path.relative(process.cwd(), FIXTURES), env: { OUT: out, TAG: 'rel' } })
  const seen = JSON.parse(await waitFor('env report', () => {
    try { return fs.readFileSync(path.join(out, 'rel.env'), 'utf8') } catch (e) { return null }
  }))
  assert.strictEqual(seen.cwd, FIXTURES)
  assert.strictEqual(info.script, SERVICE)
})

test('duplicate names: stop applies to every process of that name and only to them', async () => {
  const [a1, a2, b] = await Promise.all([
    pm.start(svc('dup1', { name: 'dup' })),
    pm.start(svc('dup2', { name: 'dup' })),
    pm.start(svc('other', { name: 'other' }))
  ])
  const stopped = await pm.stop('dup')
  assert.deepStrictEqual(stopped.map((p) => p.lastExit.pid).sort(), [a1.pid, a2.pid].sort())
  assert.ok(stopped.every((p) => p.pid === null), 'a stopped process has no pid')
  assert.ok(stopped.every((p) => p.state === 'stopped'))
  assert.deepStrictEqual(await survivors([a1.pid, a2.pid]), [])
  assert.ok(isAlive(b.pid), 'a process with another name keeps running')
  assert.deepStrictEqual(pm.list().map((p) => p.name), ['other'], 'stopped processes leave the list')
})

test('object targets, and a name that matches nothing resolves', async () => {
  const a = await pm.start(svc('obj', { name: 'obj' }))
  const stopped = await pm.stop({ name: 'obj' })
  assert.strictEqual(stopped.length, 1)
  assert.ok(!isAlive(a.pid))
  assert.deepStrictEqual(await pm.stop('nothing-has-this-name'), [])
})

test('stopall stops unnamed processes too, in parallel', async () => {
  const started = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    pm.start(svc('all' + i, { stopTimeout: 500, name: i % 2 ? 'named' : undefined }, { IGNORE_TERM: '1' }))))
  assert.ok(started.some((p) => p.name === null))
  const t0 = Date.now()
  await pm.stopall()
  const took = Date.now() - t0
  assert.deepStrictEqual(await survivors(started.map((p) => p.pid)), [])
  // Twelve services that each sit out a 500 ms grace period: in parallel that is about one
  // grace period, in series it would be six seconds.
  assert.ok(took < 3000, `stopall took ${took} ms`)
  assert.deepStrictEqual(pm.list(), [])
})

test('a service that ignores the request is SIGKILLed after stopTimeout', async () => {
  const events = []
  const onExit = (e) => events.push(e)
  pm.on('exit', onExit)
  const a = await pm.start(svc('stubborn', { name: 'stubborn', stopTimeout: 400 }, { IGNORE_TERM: '1' }))
  await sleep(300) // let it install its SIGTERM handler
  const t0 = Date.now()
  const [info] = await pm.stop('stubborn')
  const took = Date.now() - t0
  pm.off('exit', onExit)
  assert.ok(took >= 380, `killed after ${took} ms, before the grace period`)
  assert.ok(took < 3000, `took ${took} ms`)
  assert.strictEqual(info.lastExit.signal, 'SIGKILL')
  assert.ok(!isAlive(a.pid))
  const exit = events.find((e) => e.pid === a.pid)
  assert.strictEqual(exit.requested, true)
  assert.strictEqual(exit.signal, 'SIGKILL')
})

test('a service without onstopping does not sit out the grace period', async () => {
  const a = await pm.start(svc('quick', { name: 'quick', stopTimeout: 5000 }))
  await sleep(200)
  const t0 = Date.now()
  const [info] = await pm.stop('quick')
  const took = Date.now() - t0
  assert.ok(took < 2000, `stop took ${took} ms of a 5000 ms grace period`)
  assert.strictEqual(info.lastExit.signal, 'SIGTERM')
  assert.ok(!isAlive(a.pid))
})

test("stop runs the service's onstopping, which ends it without a signal", async () => {
  const a = await pm.start(svc('polite', { name: 'polite', stopTimeout: 5000 }, { ONSTOPPING: '1' }))
  await sleep(300)
  const t0 = Date.now()
  const [info] = await pm.stop('polite')
  assert.ok(Date.now() - t0 < 2000)
  assert.strictEqual(fs.readFileSync(path.join(out, 'polite.stopped'), 'utf8'), String(a.pid))
  assert.deepStrictEqual(info.lastExit, Object.assign({}, info.lastExit, { code: 0, signal: null }))
})

test('grandchildren die with their service', async () => {
  const a = await pm.start(svc('family', { name: 'family' }, { GRANDCHILD: '1', ONSTOPPING: '1' }))
  const gc = Number(await waitFor('grandchild pid', () => {
    try { return fs.readFileSync(path.join(out, 'family.grandchild'), 'utf8') } catch (e) { return null }
  }))
  assert.ok(isAlive(gc))
  await pm.stop('family')
  assert.deepStrictEqual(await survivors([a.pid, gc]), [])
})

test('restart stops the old process before the new one starts (no port clash)', async () => {
  const port = String(20000 + (process.pid % 20000))
  const before = await pm.start(svc('port', { name: 'port', stopTimeout: 3000 }, { PORT: port }))
  await waitFor('listening', () => readLines(path.join(out, 'port.events')).some((l) => l.startsWith('listening')))
  const [after] = await pm.restart('port')
  assert.notStrictEqual(after.pid, before.pid)
  assert.ok(!isAlive(before.pid))
  await waitFor('new listener', () => readLines(path.join(out, 'port.events')).filter((l) => l.startsWith('listening')).length === 2)
  const events = readLines(path.join(out, 'port.events'))
  assert.ok(!events.some((l) => l.startsWith('porterror')), events.join('\n'))
  assert.strictEqual(pm.list().length, 1)
  const [again] = await pm.restart({ name: 'port' })
  assert.notStrictEqual(again.pid, after.pid)
})

test('services can use process.send; pm relays it and keeps its own messages apart', async () => {
  const got = new Promise((resolve) => pm.on('message', function onMessage (e) {
    pm.off('message', onMessage)
    resolve(e)
  }))
  const a = await pm.start(svc('send', { name: 'send' }, { SEND: 'there', ONSTOPPING: '1' }))
  const e = await got
  assert.deepStrictEqual(e.message, { hello: 'there' })
  assert.strictEqual(e.pid, a.pid)
  assert.strictEqual(e.name, 'send')
})

test("pm does not reap the app's own child processes", async () => {
  await pm.start(svc('busy', { name: 'busy', restartAt: [] }, { EXIT_AFTER: '50' }))
  for (let i = 0; i < 20; i++) {
    const r = spawnSync('sh', ['-c', 'exit 7'])
    assert.strictEqual(r.status, 7)
  }
  const { execFile } = require('node:child_process')
  const code = await new Promise((resolve) => execFile('sh', ['-c', 'sleep 0.2; exit 5'], (err) => resolve(err && err.code)))
  assert.strictEqual(code, 5)
})

test('logs: stdout and stderr go to the log file as whole, prefixed lines', async () => {
  const log = path.join(out, 'logs', 'nested', 'lines.log')
  const a = await pm.start(svc('lines', { name: 'lines', log, restartAt: [] }, { LINES: '3', EXIT_AFTER: '100', EXIT_CODE: '0' }))
  await waitFor('exit', () => pm.list().find((p) => p.name === 'lines').state === 'stopped')
  const lines = readLines(log)
  const re = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z lines\[(\d+)\] (out|err): (.*)$/
  assert.ok(lines.every((l) => re.test(l)), lines.join('\n'))
  const texts = lines.map((l) => l.match(re)[2] + ' ' + l.match(re)[3])
  assert.deepStrictEqual(texts.filter((t) => t.startsWith('out')), ['out line 0', 'out line 1', 'out line 2', 'out last without newline'])
  assert.deepStrictEqual(texts.filter((t) => t.startsWith('err')), ['err to stderr'])
  assert.ok(lines.every((l) => l.match(re)[1] === String(a.pid)))
})

test('bad input throws at once with a message that names the problem', () => {
  const throwsWith = (fn, re) => assert.throws(fn, (e) => re.test(e.message), String(re))
  throwsWith(() => pm.start(), /options must be an object/)
  throwsWith(() => pm.start({}), /"script" is required/)
  throwsWith(() => pm.start({ script: 42 }), /"script" must be a non-empty string, got 42/)
  throwsWith(() => pm.start({ script: path.join(out, 'missing.js') }), /script .*missing\.js does not exist/)
  throwsWith(() => pm.start({ script: SERVICE, args: '--x' }), /"args" must be an array of strings/)
  throwsWith(() => pm.start({ script: SERVICE, args: ['ok', 3] }), /args\[1\] is a number/)
  throwsWith(() => pm.start({ script: SERVICE, env: { A: 1 } }), /env\.A is a number/)
  throwsWith(() => pm.start({ script: SERVICE, restartat: [0] }), /unknown option "restartat"; did you mean "restartAt"\?/)
  throwsWith(() => pm.start({ script: SERVICE, stopTimeout: -5 }), /"stopTimeout" must be a number of milliseconds/)
  throwsWith(() => pm.start({ script: SERVICE, cwd: path.join(out, 'no-such-dir') }), /cwd .* is not a directory|does not exist/)
  throwsWith(() => pm.start({ script: SERVICE, env: { A: () => 1 } }), /option "env\.A" must be plain data .*got a function/)
  throwsWith(() => pm.stop(), /pm\.stop: expected a name, \{ name \} or \{ id \}, got undefined/)
  throwsWith(() => pm.restart(3), /pm\.restart: expected a name, \{ name \} or \{ id \}, got a number/)
  throwsWith(() => pm.on('exitt', () => {}), /unknown event "exitt"/)
  throwsWith(() => pm.onstopping('x'), /expected a function/)
  throwsWith(() => pm.configure({ statedir: '/tmp/x' }), /unknown option "statedir"; known options: stateDir/)
  throwsWith(() => pm.configure({ stateDir: 7 }), /"stateDir" must be a non-empty string/)
  throwsWith(() => pm.configure({ stateDir: out }), /before the first start\(\)/)
  assert.deepStrictEqual(pm.list(), [], 'nothing was started by bad input')
})

test('a listener that throws does not break the supervisor', async () => {
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  const bad = () => { throw new Error('listener bug') }
  pm.on('start', bad)
  const a = await pm.start(svc('robust', { name: 'robust' }))
  await sleep(100)
  pm.off('start', bad)
  process.off('warning', onWarning)
  assert.ok(warnings.some((w) => /listener bug/.test(w.message)))
  await pm.stop('robust')
  assert.ok(!isAlive(a.pid))
})
