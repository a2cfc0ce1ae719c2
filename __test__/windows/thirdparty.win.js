'use strict'
// Issue 19 under Windows node.exe (Wine): programs that cannot call ready(). The program is
// node.exe itself, run by pm as a plain executable (no IPC channel, no preload), serving HTTP
// from the shared fixtures (../fixtures/thirdparty): pm tells it is ready by its port, an HTTP
// answer or a log line (readyWhen), restarts it when it hangs (healthCheck), leaves a clean
// exit alone (restart), and ends the detached grandchild it starts with its Job Object at
// stop(), at its own exit, and when the main process is killed outright. The Linux suite
// (../thirdparty.test.js) runs the same with Redis and PostgreSQL.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { spawn } = require('node:child_process')
const pm = require('../..')
const { FIXTURES, tmpdir, waitFor, isAlive, readText, survivors } = require('./helpers')

assert.strictEqual(process.platform, 'win32', 'this suite runs in Windows node.exe')

const T = path.join(FIXTURES, 'thirdparty')
const LONG = { timeout: 180000 }
/** A Windows program: node.exe as an executable, running one of the shared fixtures. */
const program = (fixture, extra) => Object.assign({ script: process.execPath, args: [path.join(T, fixture)] }, extra)

function freePort () {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** GET `url`: resolves with status and body. */
function httpGet (url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode, body }))
    }).on('error', reject)
  })
}

/** One connection attempt, no retry: resolves true when it is accepted. */
function accepts (port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.on('error', () => resolve(false))
  })
}

function recorder () {
  const seen = []
  const warnings = []
  const types = ['start', 'ready', 'exit', 'restart', 'stop', 'error']
  const fns = types.map((type) => {
    const fn = (e) => seen.push(Object.assign({ type }, e))
    pm.on(type, fn)
    return [type, fn]
  })
  const onWarning = (w) => warnings.push(w.message)
  process.on('warning', onWarning)
  return {
    warnings,
    of: (type, name) => seen.filter((e) => e.type === type && (name === undefined || e.name === name)),
    close: () => {
      fns.forEach(([type, fn]) => pm.off(type, fn))
      process.off('warning', onWarning)
    }
  }
}

let events = null
test.beforeEach(() => { events = recorder() })
test.afterEach(async () => {
  events.close()
  await pm.stopall()
})

const stray = []
test.after(() => {
  for (const pid of stray) {
    try { process.kill(pid) } catch (e) {}
  }
})

// The server listens only after 1 s: readiness must wait for it.
const LISTEN_AFTER = 1000
const kinds = [
  ['tcp', (port) => ({ tcp: port })],
  ['http', (port) => ({ http: `http://127.0.0.1:${port}/health` })],
  ['log', () => ({ log: /^listening on \d+$/ })]
]
for (const [kind, readyWhen] of kinds) {
  test(`readyWhen ${kind}: a Windows program that cannot call ready() is ready once it serves`, LONG, async () => {
    const port = await freePort()
    const before = Date.now()
    const info = await pm.start(program('health.js', {
      name: 'server',
      env: { PORT: String(port), LISTEN_AFTER: String(LISTEN_AFTER) },
      readyWhen: readyWhen(port),
      waitReady: true,
      readyTimeout: 60000
    }))
    const took = Date.now() - before
    assert.strictEqual(info.ready, true)
    assert.ok(took >= LISTEN_AFTER - 50, `ready after ${took} ms, before it listened`)
    // Ready means serving: the first attempt gets through.
    assert.strictEqual(await accepts(port), true)
    assert.deepStrictEqual(await httpGet(`http://127.0.0.1:${port}/health`), { status: 200, body: 'ok\n' })
    const ready = await waitFor('the ready event', () => events.of('ready', 'server')[0])
    assert.strictEqual(ready.pid, info.pid)
  })
}

test('healthCheck: a Windows program that stops answering but stays alive is restarted with reason unhealthy', LONG, async () => {
  const port = await freePort()
  const out = tmpdir('winhealth')
  const log = path.join(out, 'web.log')
  const url = `http://127.0.0.1:${port}/health`
  const first = await pm.start(program('health.js', {
    name: 'web',
    env: { PORT: String(port) },
    readyWhen: { http: url },
    // Wine answers slower than Linux: a second per probe, still two failures in a row.
    healthCheck: { http: url, every: 250, timeout: 1000, failures: 2 },
    waitReady: true,
    readyTimeout: 60000,
    log
  }))
  await waitFor('four answered health probes', () => ((readText(log) || '').match(/answered \/health/g) || []).length >= 4, 60000)
  assert.strictEqual(events.of('restart', 'web').length, 0, 'a healthy server is left alone')
  assert.strictEqual((await httpGet(`http://127.0.0.1:${port}/hang`)).body, 'hanging\n')
  const restart = await waitFor('the unhealthy restart', () => events.of('restart', 'web')[0], 60000)
  assert.strictEqual(restart.reason, 'unhealthy')
  const exit = events.of('exit', 'web')[0]
  assert.deepStrictEqual([exit.pid, exit.requested], [first.pid, true])
  assert.ok(exit.lastLines.some((l) => l.text === 'hanging: no more answers'))
  const warning = events.warnings.find((w) => /healthCheck/.test(w))
  assert.ok(warning, 'a process warning: ' + JSON.stringify(events.warnings))
  assert.match(warning, /"web" failed its healthCheck 2 times in a row \(http:\/\/127\.0\.0\.1:\d+\/health: no answer within 1000 ms\)/)
  const ready = await waitFor('the new process ready', () => events.of('ready', 'web').find((e) => e.pid !== first.pid), 60000)
  assert.deepStrictEqual(await survivors([first.pid]), [])
  assert.strictEqual(pm.list()[0].pid, ready.pid)
  assert.strictEqual((await httpGet(url)).status, 200)
})

test("restart: 'on-failure' and 'never': which exits of a Windows program are restarted", LONG, async () => {
  const run = (name, restart, code, extra) => pm.start(program('exit-with.js', Object.assign({ name, restart, env: { EXIT_CODE: String(code) } }, extra)))
  await run('ok-on-failure', 'on-failure', 0)
  await run('ok-never', 'never', 0)
  await run('bad-never', 'never', 3)
  await run('bad-on-failure', 'on-failure', 1, { restartAt: [0], maxRestarts: 1 })
  await waitFor('every exit', () => ['ok-on-failure', 'ok-never', 'bad-never'].every((n) => events.of('exit', n).length) &&
    events.of('error', 'bad-on-failure').length, 60000)
  await waitFor('their final states', () => pm.list().every((p) => p.state === 'stopped' || p.state === 'errored'), 30000)
  const state = (name) => {
    const p = pm.list().find((p) => p.name === name)
    return [p.state, p.completed, p.restarts, events.of('exit', name)[0].completed]
  }
  assert.deepStrictEqual(state('ok-on-failure'), ['stopped', true, 0, true])
  assert.deepStrictEqual(state('ok-never'), ['stopped', true, 0, true])
  assert.deepStrictEqual(state('bad-never'), ['errored', false, 0, false])
  assert.deepStrictEqual(state('bad-on-failure'), ['errored', false, 1, false])
  assert.strictEqual(events.of('restart', 'bad-on-failure')[0].reason, 'crash')
  for (const n of ['ok-on-failure', 'ok-never', 'bad-never']) assert.strictEqual(events.of('restart', n).length, 0, n)
})

// ---- a detached grandchild -----------------------------------------------------------------

async function daemon (name, out, extra) {
  const pidfile = path.join(out, 'grandchild')
  const env = Object.assign({ PIDFILE: pidfile }, extra && extra.env)
  const info = await pm.start(program('daemon.js', Object.assign({ name }, extra, { env })))
  const gc = Number(await waitFor('the grandchild\'s pid', () => readText(pidfile), 60000))
  stray.push(gc)
  assert.ok(isAlive(gc), 'the detached grandchild runs')
  return { info, gc }
}

test('a detached grandchild (spawn detached: true) ends with its service at stop(): the Job Object', LONG, async () => {
  const { info, gc } = await daemon('daemon', tmpdir('windaemon'))
  await pm.stop('daemon')
  assert.deepStrictEqual(await survivors([info.pid, gc], 10000), [], 'the detached grandchild outlived stop()')
})

test('a detached grandchild ends when its service exits by itself (restart: never)', LONG, async () => {
  const out = tmpdir('windaemon-exit')
  const go = path.join(out, 'go')
  const { gc } = await daemon('launcher', out, { restart: 'never', env: { EXIT_WHEN: go } })
  fs.writeFileSync(go, '') // now the service exits 0
  const exit = await waitFor('the launcher\'s exit', () => events.of('exit', 'launcher')[0], 60000)
  assert.deepStrictEqual([exit.code, exit.requested, exit.completed], [0, false, true])
  assert.deepStrictEqual(await survivors([gc], 10000), [], 'the detached grandchild outlived its service')
})

test('a detached grandchild ends when the main process is killed outright (kill-on-close)', LONG, async () => {
  const out = tmpdir('windaemon-kill')
  const state = tmpdir('windaemon-state')
  const child = spawn(process.execPath, [path.join(T, 'main.js')], { env: Object.assign({}, process.env, { OUT: out, STATE: state, RUN: 'killed' }), stdio: 'ignore' })
  stray.push(child.pid)
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const service = Number(await waitFor('the service', () => readText(path.join(out, 'killed.pid')), 60000))
  const gc = Number(await waitFor('the grandchild', () => readText(path.join(out, 'killed.grandchild')), 60000))
  stray.push(service, gc)
  assert.ok(isAlive(service) && isAlive(gc))
  child.kill() // TerminateProcess: no handler runs in the main process
  await exited
  assert.deepStrictEqual(await survivors([service, gc], 10000), [])
})
