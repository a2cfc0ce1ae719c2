'use strict'
// How a Windows node.exe main process that uses pm ends (under Wine): process.exit() stops every
// service and runs onstopping; a script ends on its own once nothing runs; a main process
// killed outright (TerminateProcess, what child.kill() does on Windows) takes every service and
// grandchild with it at once, through the jobs' kill-on-close.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { FIXTURES, tmpdir, waitFor, isAlive, survivors } = require('./helpers')

const MAIN = path.join(FIXTURES, 'main.js')
const EXIT_MAIN = path.join(__dirname, 'fixtures', 'exit-main.js')
const stray = []

test.after(() => {
  for (const pid of stray) {
    try { process.kill(pid) } catch (e) {}
  }
})

function runMain (scenario) {
  const out = tmpdir('winmain-' + scenario)
  const child = spawn(process.execPath, [scenario === 'exit' ? EXIT_MAIN : MAIN], { env: Object.assign({}, process.env, { OUT: out, SCENARIO: scenario }), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output })))
  const read = (name) => { try { return fs.readFileSync(path.join(out, name), 'utf8') } catch (e) { return null } }
  return { child, out, exited, read }
}

async function started (run) {
  const pids = JSON.parse(await waitFor('main ready', () => run.read('main.ready'), 30000))
  const grandchild = Number(await waitFor('grandchild', () => run.read('a.grandchild'), 15000))
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
  assert.notStrictEqual(run.read('main.onstopping-called'), null, "the main process's onstopping was called")
})

test('a script ends on its own once nothing runs', async () => {
  const run = runMain('end')
  const res = await Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 20000, 'still running').unref())])
  assert.notStrictEqual(res, 'still running', 'pm kept the main process alive with nothing running')
  assert.strictEqual(res.code, 0, res.output)
})

test('a main process killed outright takes every service and grandchild with it (kill-on-close jobs)', async () => {
  const run = runMain('wait')
  const pids = await started(run)
  assert.ok(pids.every(isAlive), 'all running before the kill')
  run.child.kill() // TerminateProcess: no handler, no exit code of its own choosing
  await run.exited
  assert.deepStrictEqual(await survivors(pids, 5000), [])
})
