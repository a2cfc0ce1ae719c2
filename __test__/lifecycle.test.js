'use strict'
// How a plain Node main process that uses pm ends: process.exit(), signals with and without the
// app's own handler, a script that simply runs out of work, and one killed outright.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { FIXTURES, ROOT, tmpdir, sleep, waitFor, isAlive, survivors } = require('./helpers')

const MAIN = path.join(FIXTURES, 'main.js')
const stray = []

test.after(() => {
  for (const pid of stray) {
    try { process.kill(pid, 'SIGKILL') } catch (e) {}
  }
})

function runMain (scenario) {
  const out = tmpdir('main-' + scenario)
  const child = spawn(process.execPath, [MAIN], { env: Object.assign({}, process.env, { OUT: out, SCENARIO: scenario }), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  // A main process that never ends must fail its test, not hang the whole run.
  const limit = setTimeout(() => child.kill('SIGKILL'), 60000)
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(limit)
    resolve({ code, signal, output })
  }))
  const file = (name) => path.join(out, name)
  const read = (name) => { try { return fs.readFileSync(file(name), 'utf8') } catch (e) { return null } }
  return { child, out, exited, file, read }
}

async function started (run) {
  const ready = await waitFor('main ready', () => run.read('main.ready'), 15000)
  const pids = JSON.parse(ready)
  const grandchild = Number(await waitFor('grandchild', () => run.read('a.grandchild')))
  const all = pids.concat([grandchild])
  stray.push(...all)
  return all
}

test('process.exit() stops every service, grandchildren included, and runs onstopping on both sides', async () => {
  const run = runMain('exit')
  const pids = await started(run)
  const { code, output } = await run.exited
  assert.strictEqual(code, 0, output)
  assert.deepStrictEqual(await survivors(pids), [])
  assert.strictEqual(run.read('a.stopped'), String(pids[0]), "the service's onstopping ran")
  // At process.exit() nothing async can run: the handler is called, not awaited.
  assert.notStrictEqual(run.read('main.onstopping-called'), null, "the main process's onstopping was called")
})

for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]]) {
  test(`${signal} without an app handler: onstopping, every service stopped, exit ${code}`, async () => {
    const run = runMain('wait')
    const pids = await started(run)
    run.child.kill(signal)
    const res = await run.exited
    assert.strictEqual(res.code, code, res.output)
    assert.deepStrictEqual(await survivors(pids), [])
    assert.strictEqual(run.read('main.onstopping'), '2', 'main handlers ran while both services still ran')
    assert.strictEqual(run.read('a.stopped'), String(pids[0]))
  })
}

test("an app's own SIGTERM handler is left in charge", async () => {
  const run = runMain('own-sigterm')
  const pids = await started(run)
  run.child.kill('SIGTERM')
  await waitFor('own handler', () => run.read('main.own-handler'))
  await sleep(300)
  assert.strictEqual(run.child.exitCode, null, 'pm did not exit the process')
  assert.ok(pids.every(isAlive), 'pm did not stop the services')
  run.child.kill('SIGINT')
  const res = await run.exited
  assert.strictEqual(res.code, 130)
  assert.deepStrictEqual(await survivors(pids), [])
})

test('a script ends on its own once nothing runs', async () => {
  const run = runMain('end')
  const res = await Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 10000, 'still running').unref())])
  assert.notStrictEqual(res, 'still running', 'pm kept the main process alive with nothing running')
  assert.strictEqual(res.code, 0, res.output)
  const idle = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(ROOT)})`], { timeout: 10000 })
  assert.strictEqual(idle.status, 0, 'requiring pm alone does not keep a process alive')
})

test("a killed main process closes the channel: the service's onstopping runs and it exits", async () => {
  const run = runMain('wait')
  const pids = await started(run)
  run.child.kill('SIGKILL')
  await run.exited
  await waitFor('service onstopping', () => run.read('a.stopped'), 5000)
  assert.deepStrictEqual(await survivors([pids[0]]), [])
})

test('the last exit event reaches a script that waits only for events', async () => {
  // pm's event function is weak: JS keeps the loop alive while a service lives or an event is
  // undelivered. Here every exit event is queued while the JS thread is busy and nothing runs
  // any more by the time it is free. (That a service counts as alive until its last event is
  // emitted, which closes the narrower race, is tests/supervisor.rs.)
  const code = `
    const pm = require(${JSON.stringify(ROOT)})
    const N = 8
    let exits = 0
    pm.on('exit', () => { if (++exits === N) console.log('all exits seen') })
    const starts = []
    for (let i = 0; i < N; i++) {
      starts.push(pm.start({ script: ${JSON.stringify(path.join(FIXTURES, 'printer.js'))}, args: ['ansi'], restartAt: [], log: '/dev/null' }))
    }
    Promise.all(starts).then(() => {
      // Keep the JS thread busy while every service ends, so all their events queue up.
      const until = Date.now() + 1500
      while (Date.now() < until) {}
    })`
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20000 })
  assert.strictEqual(r.status, 0, r.stderr)
  assert.match(r.stdout, /all exits seen/, 'the process ended before its last exit event')
})
