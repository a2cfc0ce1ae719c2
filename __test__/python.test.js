'use strict'
// Python services and other executables: interpreters, unbuffered output, SIGTERM as the polite
// request, the elife_pm helper, scripts addressed inside app.asar, and clear errors.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('..')
const { FIXTURES, tmpdir, sleep, waitFor, readLines, isAlive } = require('./helpers')
const { readmeBlock } = require('./readme')

const PY = path.join(FIXTURES, 'py')
const SH = path.join(FIXTURES, 'sh')
const out = tmpdir('python')
const read = (name) => { try { return fs.readFileSync(path.join(out, name), 'utf8') } catch (e) { return null } }

// The main process may itself run with ELECTRON_RUN_AS_NODE (as Electron's Node does); no
// service but a Node one on Electron's binary may inherit it.
process.env.ELECTRON_RUN_AS_NODE = '1'

test.afterEach(() => pm.stopall())

test("a Python service's unflushed prints reach the log promptly", async () => {
  const log = path.join(out, 'unbuffered.log')
  const info = await pm.start({ name: 'py', script: path.join(PY, 'unbuffered.py'), log })
  const line = await waitFor('the line', () => readLines(log)[0], 5000)
  const latency = Date.now() - Number(line.split(' ').pop())
  assert.match(line, new RegExp(`^\\S+Z py\\[${info.pid}\\] out: hello from python \\d+$`))
  // Block-buffered, the line would not come before the service exits (waitFor fails).
  assert.ok(latency < 3000, `took ${latency} ms`)
})

test('SIGTERM is the polite request for a Python service without the helper', async () => {
  const info = await pm.start({ name: 'term', script: path.join(PY, 'sigterm.py'), env: { OUT: out }, stopTimeout: 5000 })
  await waitFor('ready', () => read('sigterm.ready'))
  const t0 = Date.now()
  const [stopped] = await pm.stop('term')
  assert.ok(Date.now() - t0 < 3000, 'it did not sit out the grace period')
  assert.strictEqual(read('sigterm.marker'), String(info.pid))
  assert.strictEqual(stopped.lastExit.code, 0)
})

test('the elife_pm helper: onstopping runs on stop; send reaches pm; no ELECTRON_RUN_AS_NODE', async () => {
  const message = new Promise((resolve) => pm.on('message', function m (e) { pm.off('message', m); resolve(e) }))
  const info = await pm.start({ name: 'helper', script: path.join(PY, 'helper.py'), env: { OUT: out }, stopTimeout: 5000 })
  const e = await message
  assert.deepStrictEqual(e.message, { from: 'python', pid: info.pid })
  const seen = JSON.parse(await waitFor('env', () => read('helper.env')))
  assert.strictEqual(seen.under_pm, true)
  assert.strictEqual(seen.env.ELECTRON_RUN_AS_NODE, undefined)
  assert.strictEqual(seen.env.PYTHONUNBUFFERED, '1')
  assert.strictEqual(seen.env.NODE_CHANNEL_FD, undefined, 'the helper takes its variables out of the environment')
  const t0 = Date.now()
  const [stopped] = await pm.stop('helper')
  assert.ok(Date.now() - t0 < 3000)
  assert.strictEqual(read('helper.stopped'), String(info.pid))
  assert.deepStrictEqual([stopped.lastExit.code, stopped.lastExit.signal], [0, null], 'it exited by itself, not by a signal')
})

test("the README's Python example (services/worker.py) stays up, answers messages and stops cleanly on stop()", async () => {
  // The block as the README has it, run as the README's main.js runs it.
  const dir = path.join(out, 'readme-worker')
  fs.mkdirSync(dir, { recursive: true })
  const script = path.join(dir, 'worker.py')
  fs.writeFileSync(script, readmeBlock('services/worker.py').code)
  const state = path.join(dir, 'worker.json')
  const events = []
  const record = (type) => (e) => { if (e.name === 'worker') events.push({ type, ...e }) }
  const listeners = ['start', 'exit', 'restart', 'message', 'error'].map((type) => [type, record(type)])
  for (const [type, fn] of listeners) pm.on(type, fn)
  const reply = (n) => waitFor(`answer ${n}`, () => events.find((e) => e.type === 'message' && e.message.received === n), 10000)
    .catch((err) => { throw new Error(`${err.message}; events: ${JSON.stringify(events)}`) })
  try {
    const info = await pm.start({ name: 'worker', script, args: [state], waitReady: true, stopTimeout: 5000 })
    // Two answers from the same process: the second one counts both messages.
    assert.strictEqual(pm.send('worker', { reload: true }), 1)
    assert.strictEqual((await reply(1)).pid, info.pid)
    assert.strictEqual(pm.send('worker', { n: 2 }), 1)
    assert.strictEqual((await reply(2)).pid, info.pid)
    const [listed] = pm.list().filter((p) => p.name === 'worker')
    assert.deepStrictEqual([listed.pid, listed.state, listed.restarts], [info.pid, 'running', 0])
    const [stopped] = await pm.stop('worker')
    assert.deepStrictEqual([stopped.lastExit.code, stopped.lastExit.signal], [0, null], 'it exited by itself after save()')
    // Its onstopping handler (save) ran: the state file holds both messages.
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(state, 'utf8')), [{ reload: true }, { n: 2 }])
    // One start, one exit (the one pm asked for): it never ended by itself, nothing restarted it.
    assert.deepStrictEqual(events.filter((e) => e.type !== 'message').map((e) => [e.type, e.pid, e.requested]),
      [['start', info.pid, undefined], ['exit', info.pid, true]])
  } finally {
    for (const [type, fn] of listeners) pm.off(type, fn)
  }
})

test('an executable script runs directly, without the channel or ELECTRON_RUN_AS_NODE', async () => {
  const log = path.join(out, 'exec.log')
  const info = await pm.start({ name: 'exec', script: path.join(SH, 'exec.sh'), args: ['a', 'b'], log })
  const line = await waitFor('output', () => readLines(log)[0])
  assert.match(line, /out: exec\.sh args=a b run_as_node=unset channel=unset$/)
  await pm.stop('exec')
  assert.ok(!isAlive(info.pid))
})

test("interpreter: 'bash' runs a plain .sh file", async () => {
  const log = path.join(out, 'plain.log')
  await pm.start({ name: 'plain', script: path.join(SH, 'plain.sh'), interpreter: 'bash', log })
  const line = await waitFor('output', () => readLines(log)[0])
  assert.match(line, /out: plain\.sh under bash run_as_node=unset$/)
})

test('clear errors: a missing interpreter, a script that is not executable', () => {
  assert.throws(() => pm.start({ script: path.join(SH, 'plain.sh'), interpreter: 'no-such-shell' }),
    /interpreter "no-such-shell" was not found on PATH/)
  assert.throws(() => pm.start({ script: path.join(SH, 'plain.sh') }), /plain\.sh is not executable.*interpreter/)
  assert.throws(() => pm.start({ script: path.join(PY, 'helper.py'), interpreter: '/no/python3' }),
    /interpreter \/no\/python3 does not exist or is not executable/)
  const saved = process.env.PATH
  process.env.PATH = '/nonexistent'
  try {
    assert.throws(() => pm.start({ script: path.join(PY, 'helper.py') }), /no Python found .*python3 and python.*ELIFE_PM_PYTHON/)
  } finally {
    process.env.PATH = saved
  }
  assert.deepStrictEqual(pm.list(), [])
})

test('ELIFE_PM_PYTHON names the Python', async () => {
  const python = require('node:child_process').execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  process.env.ELIFE_PM_PYTHON = python
  try {
    const log = path.join(out, 'envpy.log')
    await pm.start({ name: 'envpy', script: path.join(PY, 'unbuffered.py'), log })
    await waitFor('output', () => readLines(log)[0])
    process.env.ELIFE_PM_PYTHON = '/no/such/python'
    assert.throws(() => pm.start({ script: path.join(PY, 'unbuffered.py') }), /\/no\/such\/python does not exist.*ELIFE_PM_PYTHON/)
  } finally {
    delete process.env.ELIFE_PM_PYTHON
  }
})

test('a Python script addressed inside app.asar runs from app.asar.unpacked, or says to unpack it', async () => {
  const asar = await import('@electron/asar')
  const app = tmpdir('asar-src')
  fs.mkdirSync(path.join(app, 'py'))
  fs.copyFileSync(path.join(PY, 'unbuffered.py'), path.join(app, 'py', 'svc.py'))
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","main":"main.js"}')
  const res = tmpdir('asar-res')
  await asar.createPackageWithOptions(app, path.join(res, 'app.asar'), { unpack: '*.py' })
  assert.ok(fs.existsSync(path.join(res, 'app.asar.unpacked', 'py', 'svc.py')))
  const log = path.join(out, 'asar.log')
  const info = await pm.start({ name: 'inasar', script: path.join(res, 'app.asar', 'py', 'svc.py'), cwd: path.join(res, 'app.asar', 'py'), log })
  assert.strictEqual(info.script, path.join(res, 'app.asar.unpacked', 'py', 'svc.py'))
  assert.match(await waitFor('output', () => readLines(log)[0]), /hello from python/)

  const packed = tmpdir('asar-packed')
  await asar.createPackage(app, path.join(packed, 'app.asar'))
  assert.throws(() => pm.start({ script: path.join(packed, 'app.asar', 'py', 'svc.py') }),
    /inside an asar archive.*unpack it.*app\.asar\.unpacked.*asarUnpack/)
})
