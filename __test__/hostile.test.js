'use strict'
// Hostile input and conditions: options that contain themselves or nest 30,000 deep, inherited
// (polluted) properties and own `__proto__` keys, NaN/Infinity in every number, functions,
// symbols and bigints; logs on a FIFO, a huge logKeep, a removed log directory, a full disk.
// What could crash or hang the main process runs in a child Node process, so a crash or hang
// is a failed test, not a dead runner.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn, execFileSync } = require('node:child_process')
const pm = require('..')
const { FIXTURES, ROOT, tmpdir, waitFor, readLines } = require('./helpers')

const SERVICE = path.join(FIXTURES, 'service.js')
const PRINTER = path.join(FIXTURES, 'printer.js')
const BURST = path.join(FIXTURES, 'hostile', 'burst.js')
const out = tmpdir('hostile')

test.afterEach(() => pm.stopall())

/**
 * Runs `body` (the text of an async function taking `pm`) in a child Node process that loads
 * this package; resolves with what it returned (JSON), or rejects with how the child ended
 * (a signal, a timeout) and its output.
 */
function inChild (body, timeout = 20000) {
  const code = `
    const pm = require(${JSON.stringify(ROOT)})
    const S = ${JSON.stringify(SERVICE)}
    const OUT = ${JSON.stringify(out)}
    ;(async function (pm) { ${body} })(pm).then(
      (r) => { process.stdout.write('\\nRESULT ' + JSON.stringify(r === undefined ? null : r) + '\\n'); return pm.stopall() },
      (e) => { process.stdout.write('\\nFAILED ' + (e && e.stack) + '\\n'); process.exitCode = 1; return pm.stopall() })`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const m = /\nRESULT (.*)\n/.exec(stdout)
      if (code === 0 && m) return resolve(JSON.parse(m[1]))
      reject(new Error(`the child process ended with ${signal ? 'signal ' + signal : 'code ' + code}` +
        (signal === 'SIGKILL' ? ` (killed after ${timeout} ms: it hung)` : '') +
        `\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`))
    })
  })
}

/** The message `fn` throws (synchronously or as a rejection), or null when it does not fail. */
const CATCH = `
  async function messageOf (fn) {
    try { await fn() } catch (e) { return e.message }
    return null
  }`

test('options, env, args and targets that contain themselves are errors, not a crash', async () => {
  const got = await inChild(CATCH + `
    const env = { A: '1' }; env.self = env
    const args = ['a']; args.push(args)
    const options = { script: S }; options.again = options
    const target = { name: 'x' }; target.self = target
    const nested = { script: S, env: { inner: {} } }; nested.env.inner.up = nested.env
    return {
      env: await messageOf(() => pm.start({ script: S, env })),
      args: await messageOf(() => pm.start({ script: S, args })),
      options: await messageOf(() => pm.start(options)),
      nested: await messageOf(() => pm.start(nested)),
      stop: await messageOf(() => pm.stop(target)),
      restart: await messageOf(() => pm.restart(target)),
      list: pm.list().length
    }`)
  assert.strictEqual(got.env, 'pm.start: option "env" contains itself (a cycle at env.self)')
  assert.strictEqual(got.args, 'pm.start: option "args" contains itself (a cycle at args[1])')
  assert.strictEqual(got.options, 'pm.start: options contain themselves (a cycle at again)')
  assert.strictEqual(got.nested, 'pm.start: option "env" contains itself (a cycle at env.inner.up)')
  assert.strictEqual(got.stop, 'pm.stop: the target contains itself (a cycle at self)')
  assert.strictEqual(got.restart, 'pm.restart: the target contains itself (a cycle at self)')
  assert.strictEqual(got.list, 0, 'nothing started')
})

test('30,000-deep nesting is an error, not a crash', async () => {
  const got = await inChild(CATCH + `
    const deep = (leaf) => { const root = {}; let o = root; for (let i = 0; i < 30000; i++) { o.a = {}; o = o.a } o.a = leaf; return root }
    const deepArray = () => { const root = []; let a = root; for (let i = 0; i < 30000; i++) { const b = []; a.push(b); a = b } return root }
    return {
      env: await messageOf(() => pm.start({ script: S, env: deep('x') })),
      args: await messageOf(() => pm.start({ script: S, args: deepArray() })),
      top: await messageOf(() => pm.start(Object.assign(deep('x'), { script: S }))),
      stop: await messageOf(() => pm.stop({ name: deep('x') })),
      configure: await messageOf(() => pm.configure({ stateDir: deep('x') }))
    }`)
  assert.match(got.env, /^pm\.start: option "env(\.a)+" nests deeper than 8 levels/)
  assert.match(got.args, /^pm\.start: option "args(\[0\])+" nests deeper than 8 levels/)
  assert.match(got.top, /^pm\.start: option "a(\.a)+" nests deeper than 8 levels/)
  assert.match(got.stop, /^pm\.stop: target "name(\.a)+" nests deeper than 8 levels/)
  assert.match(got.configure, /^pm\.configure: option "stateDir(\.a)+" nests deeper than 8 levels/)
})

test('inherited properties are never options: a polluted Object.prototype changes nothing', async () => {
  const dir = tmpdir('polluted')
  const got = await inChild(CATCH + `
    Object.prototype.interpreter = '/nonexistent/injected-interpreter'
    Object.prototype.env = { INJECTED: '1' }
    Object.prototype.restartAt = 'not an array'
    Array.prototype.extra = 'x'
    let info
    try {
      info = await pm.start({ name: 'clean', script: S, env: { OUT: ${JSON.stringify(dir)}, TAG: 'clean' } })
      const until = Date.now() + 10000
      while (!require('fs').existsSync(${JSON.stringify(path.join(dir, 'clean.ready'))}) && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    } finally {
      delete Object.prototype.interpreter
      delete Object.prototype.env
      delete Object.prototype.restartAt
      delete Array.prototype.extra
    }
    const started = await pm.stop('clean')
    return { pid: info.pid, stopped: started.length }`)
  assert.ok(got.pid > 0)
  assert.strictEqual(got.stopped, 1)
  const seen = JSON.parse(fs.readFileSync(path.join(dir, 'clean.env'), 'utf8'))
  assert.strictEqual(seen.env.INJECTED, undefined, 'an inherited env was read')
  assert.strictEqual(seen.env.TAG, 'clean')
})

test('an own __proto__ key (from JSON.parse) is an unknown option, never a prototype', async () => {
  const options = JSON.parse(`{"script": ${JSON.stringify(SERVICE)}, "__proto__": {"interpreter": "/nonexistent/injected"}}`)
  assert.throws(() => pm.start(options), (e) => {
    assert.match(e.message, /^pm\.start: unknown option "__proto__"/)
    return true
  })
  const env = JSON.parse('{"A": "1", "__proto__": {"B": "2"}}')
  assert.throws(() => pm.start({ script: SERVICE, env }), /env\.__proto__ is an object/)
  assert.throws(() => pm.stop(JSON.parse('{"name": "x", "__proto__": {}}')), /unknown key "__proto__"/)
  assert.throws(() => pm.configure(JSON.parse('{"__proto__": {"stateDir": "/tmp/x"}}')), /unknown option "__proto__"/)
  assert.strictEqual(pm.list().length, 0)
})

test('NaN and ±Infinity in every numeric option are errors that name the option and the value', () => {
  const numeric = ['stopTimeout', 'restartOk', 'logMaxSize', 'logKeep']
  let cases = 0
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const key of numeric) {
      assert.throws(() => pm.start({ script: SERVICE, [key]: bad }), (e) => {
        assert.strictEqual(e.message, `pm.start: option "${key}" must be a finite number, got ${bad}`)
        return true
      })
      cases++
    }
    for (const at of [0, 2]) {
      const restartAt = [0, 100, 500]
      restartAt[at] = bad
      assert.throws(() => pm.start({ script: SERVICE, restartAt }), (e) => {
        assert.strictEqual(e.message, `pm.start: option "restartAt[${at}]" must be a finite number, got ${bad}`)
        return true
      })
      cases++
    }
    assert.throws(() => pm.stop({ name: bad }), (e) => {
      assert.strictEqual(e.message, `pm.stop: target "name" must be a finite number, got ${bad}`)
      return true
    })
    cases++
  }
  assert.strictEqual(cases, 21)
  assert.strictEqual(pm.list().length, 0, 'nothing started')
})

test('functions, symbols, bigints and other non-data are errors that name where they are', () => {
  const cases = [
    [{ env: { A: () => 1 } }, 'option "env.A" must be plain data (a string, number, boolean, array or object), got a function'],
    [{ name: Symbol('x') }, 'option "name" must be plain data (a string, number, boolean, array or object), got a symbol (Symbol(x))'],
    [{ logKeep: 10n }, 'option "logKeep" must be plain data (a string, number, boolean, array or object), got a bigint (10n)'],
    [{ restartAt: [0, 10n] }, 'option "restartAt[1]" must be plain data (a string, number, boolean, array or object), got a bigint (10n)'],
    [{ args: ['a', undefined] }, 'option "args[1]" must be plain data (a string, number, boolean, array or object), got undefined'],
    [{ args: ['a', , 'b'] }, 'option "args[1]" is a hole in the array (an empty slot); arrays must be dense'], // eslint-disable-line no-sparse-arrays
    [{ env: new Map([['A', '1']]) }, 'option "env" must be plain data (only plain objects and arrays are read), got a Map object'],
    [{ log: new Date(0) }, 'option "log" must be plain data (only plain objects and arrays are read), got a Date object'],
    [{ args: Buffer.from('x') }, 'option "args" must be plain data (only plain objects and arrays are read), got a Buffer'],
    [{ env: new (class Settings {})() }, 'option "env" must be plain data (only plain objects and arrays are read), got a Settings object'],
    [{ env: new Proxy({}, {}) }, 'option "env" must be plain data, got a Proxy'],
    [{ env: { 'A.B': Symbol.iterator } }, 'option "env[\\"A.B\\"]" must be plain data (a string, number, boolean, array or object), got a symbol (Symbol(Symbol.iterator))']
  ]
  for (const [extra, message] of cases) {
    assert.throws(() => pm.start(Object.assign({ script: SERVICE }, extra)), (e) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.strictEqual(e.message, 'pm.start: ' + message)
      return true
    })
  }
  const withGetter = { script: SERVICE, get name () { return 'x' } }
  assert.throws(() => pm.start(withGetter), /^TypeError: pm\.start: option "name" is a getter; pass plain data$/)
  assert.throws(() => pm.start(() => {}), /^TypeError: pm\.start: options must be plain data .*got a function/)
  assert.throws(() => pm.restart(Symbol('x')), /^TypeError: pm\.restart: the target must be plain data .*got a symbol/)
  // Top-level undefined still means "not given".
  assert.throws(() => pm.start({ script: SERVICE, name: undefined, logKeep: 'x' }), /"logKeep" must be a whole number/)
  assert.strictEqual(pm.list().length, 0)
})

test('strings no OS can take (a NUL character, a variable name with "=") are errors that name the option', () => {
  const cases = [
    [{ args: ['ok', 'a\0b'] }, /^pm\.start: option "args\[1\]" contains a NUL character/],
    [{ env: { A: 'x\0y' } }, /^pm\.start: option "env\.A" contains a NUL character/],
    [{ log: path.join(out, 'a\0.log') }, /^pm\.start: option "log" contains a NUL character/],
    [{ interpreter: 'no\0de' }, /^pm\.start: option "interpreter" contains a NUL character/],
    [{ env: { 'A=B': 'x' } }, /^pm\.start: option "env" has the variable name "A=B"; a name cannot be empty or contain "=" or a NUL character/],
    [{ env: { '': 'x' } }, /^pm\.start: option "env" has the variable name ""/],
    [{ env: { 'A\0': 'x' } }, /^pm\.start: option "env\[.*\]" has a NUL character in its name/]
  ]
  for (const [extra, re] of cases) {
    assert.throws(() => pm.start(Object.assign({ script: SERVICE }, extra)), (e) => {
      assert.match(e.message, re)
      return true
    })
  }
  assert.strictEqual(pm.list().length, 0)
})

test('numbers past what makes sense are errors: logKeep, logMaxSize, stopTimeout, restartAt, restartOk', () => {
  const cases = [
    [{ logKeep: 4294967295, logMaxSize: 4096 }, '"logKeep" must be at most 1000 (rotated files), got 4294967295'],
    [{ logMaxSize: 100 }, '"logMaxSize" must be 0 (no rotation) or at least 4096 bytes, got 100'],
    [{ stopTimeout: 1e12 }, '"stopTimeout" must be at most 86400000 ms (24 hours), got 1000000000000'],
    [{ restartAt: [0, 86400001] }, '"restartAt[1]" must be at most 86400000 ms (24 hours), got 86400001'],
    [{ restartOk: Number.MAX_VALUE }, '"restartOk" must be at most 86400000 ms (24 hours)']
  ]
  for (const [extra, message] of cases) {
    assert.throws(() => pm.start(Object.assign({ script: SERVICE }, extra)), (e) => {
      assert.ok(e.message.includes(message), e.message)
      return true
    })
  }
})

test('a log on a FIFO without a reader never blocks: start() settles, later calls too, exit ends the process', async () => {
  const fifo = path.join(out, 'fifo.log')
  execFileSync('mkfifo', [fifo])
  const dir = tmpdir('fifo')
  const got = await inChild(`
    const errors = []
    pm.on('error', (e) => errors.push(e.message))
    const t0 = Date.now()
    const info = await pm.start({ name: 'f', script: S, log: ${JSON.stringify(fifo)}, env: { OUT: ${JSON.stringify(dir)}, TAG: 'f' } })
    const second = await pm.start({ name: 'g', script: S, log: ${JSON.stringify(fifo)}, env: { OUT: ${JSON.stringify(dir)}, TAG: 'g' } })
    const stopped = await pm.stopall()
    const elapsed = Date.now() - t0
    await new Promise((resolve) => setTimeout(resolve, 50))
    return { pid: info.pid, second: second.pid, stopped: stopped.length, elapsed, errors }`, 15000)
  assert.ok(got.pid > 0 && got.second > 0)
  assert.strictEqual(got.stopped, 2)
  assert.ok(got.elapsed < 5000, `took ${got.elapsed} ms`)
  assert.strictEqual(got.errors.length, 2, got.errors.join('\n'))
  for (const m of got.errors) {
    assert.ok(m.includes(fifo + ' is a FIFO (named pipe); a log must be a regular file') && m.includes('logging to stderr instead'), m)
  }
  // process.exit() with a FIFO log open ends the process (it hung on the blocked open before).
  await inChild(`
    await pm.start({ name: 'f', script: S, log: ${JSON.stringify(fifo)}, env: { OUT: ${JSON.stringify(dir)}, TAG: 'x' } })
    process.stdout.write('\\nRESULT null\\n')
    process.exit(0)`, 15000)
})

test('a log path that is a directory or a device is refused with a clear error', async () => {
  const errors = []
  const onError = (e) => errors.push(e)
  pm.on('error', onError)
  try {
    const asDir = tmpdir('logdir')
    const a = await pm.start({ name: 'd', script: SERVICE, log: asDir, env: { OUT: out, TAG: 'd' } })
    const b = await pm.start({ name: 'n', script: SERVICE, log: '/dev/null', env: { OUT: out, TAG: 'n' } })
    await waitFor('two error events', () => errors.length >= 2)
    const byId = (id) => errors.find((e) => e.id === id).message
    assert.ok(byId(a.id).includes(asDir + ' is a directory; a log must be a regular file'), byId(a.id))
    assert.ok(byId(b.id).includes('/dev/null is a character device'), byId(b.id))
  } finally {
    pm.off('error', onError)
  }
})

test('logKeep 4294967295 with a small logMaxSize: an error at start(), never a stop() that hangs', async () => {
  const got = await inChild(`
    try {
      await pm.start({ name: 'k', script: ${JSON.stringify(PRINTER)}, args: ['flood', '2000', 'k'], log: ${JSON.stringify(path.join(out, 'keep', 'k.log'))},
        logMaxSize: 4096, logKeep: 4294967295, restartAt: [] })
    } catch (e) {
      return { error: e.message }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await pm.stop('k')
    return { error: null }`, 20000)
  assert.match(String(got.error), /"logKeep" must be at most 1000/)
})

test('rotation with logKeep 1000 renames only what exists: stop() resolves promptly, no line lost', async () => {
  const dir = path.join(out, 'keep1000')
  const log = path.join(dir, 'k.log')
  const info = await pm.start({ name: 'k1000', script: PRINTER, args: ['flood', '3000', 'k'], log, logMaxSize: 4096, logKeep: 1000, restartAt: [] })
  await waitFor('the flood to end', () => {
    const p = pm.list().find((x) => x.id === info.id)
    return p && p.state === 'stopped'
  }, 30000)
  const t0 = Date.now()
  await pm.stop('k1000')
  assert.ok(Date.now() - t0 < 3000, `stop() took ${Date.now() - t0} ms`)
  const files = fs.readdirSync(dir)
  const seqs = []
  const numbered = files.filter((f) => f !== 'k.log').map((f) => Number(f.slice('k.log.'.length))).sort((a, b) => b - a)
  assert.deepStrictEqual(numbered, Array.from({ length: numbered.length }, (_, i) => numbered.length - i), 'numbers without gaps')
  for (const f of numbered.map((n) => 'k.log.' + n).concat('k.log')) {
    for (const line of readLines(path.join(dir, f))) seqs.push(Number(line.split(' out: ')[1].split(' ')[1]))
  }
  assert.strictEqual(seqs.length, 3000)
  assert.ok(seqs.every((s, i) => s === i), 'lines out of order or lost')
})

test('a removed log directory is recreated: the running writer, and a service started afterwards, write to the new file', async () => {
  const dir = path.join(out, 'removed')
  const log = path.join(dir, 'sub', 'shared.log')
  const ctl = tmpdir('removed-ctl')
  const early = await pm.start({ name: 'early', script: BURST, log, env: { OUT: ctl, COUNT: '10' } })
  await waitFor('ready', () => fs.existsSync(path.join(ctl, 'ready')))
  process.kill(early.pid, 'SIGUSR2')
  await waitFor('round 1 in the log', () => readLines(log).length === 10)
  // The running writer: its next lines go to a recreated file.
  fs.rmSync(dir, { recursive: true })
  process.kill(early.pid, 'SIGUSR2')
  await waitFor('round 2 in a recreated log', () => readLines(log).length === 10, 5000)
  assert.ok(readLines(log).every((l) => / out: burst 2 /.test(l)))
  // A service started afterwards with the same path shares the writer and writes there too.
  fs.rmSync(dir, { recursive: true })
  const late = await pm.start({ name: 'late', script: PRINTER, args: ['lone'], log })
  await waitFor('the late line in the recreated log', () => readLines(log).length === 1, 5000)
  await pm.stop('late')
  const lines = readLines(log)
  assert.strictEqual(lines.length, 1, 'the new file has the late line: ' + JSON.stringify(lines))
  assert.ok(lines[0].includes(`late[${late.pid}] out: lone `), lines[0])
})

/** Mounts a tmpfs of `size` at a fresh directory; returns it and a function that removes it. */
function smallDisk (size) {
  const mnt = tmpdir('full')
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=' + size, 'tmpfs', mnt])
  return { mnt, unmount: () => execFileSync('umount', ['-l', mnt]) }
}

/** Writes 4 KiB blocks into `file` until the disk is full. */
function fill (file) {
  const fd = fs.openSync(file, 'w')
  const block = Buffer.alloc(4096, 'f')
  try {
    for (;;) fs.writeSync(fd, block)
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e
  } finally {
    fs.closeSync(fd)
  }
}

test('disk full: reported once with a count, no partial line, writing resumes and the recovery says how many were lost', async () => {
  const { mnt, unmount } = smallDisk('1m')
  const errors = []
  const onError = (e) => errors.push(e)
  pm.on('error', onError)
  const ctl = tmpdir('burst')
  try {
    const log = path.join(mnt, 'x.log')
    const COUNT = 100
    const info = await pm.start({ name: 'burst', script: BURST, log, env: { OUT: ctl, COUNT: String(COUNT) } })
    await waitFor('ready', () => fs.existsSync(path.join(ctl, 'ready')))
    const rounds = () => readLines(path.join(ctl, 'rounds')).length
    const lineCount = () => readLines(log).length
    // Round 1 fits; then the disk fills up behind it.
    process.kill(info.pid, 'SIGUSR2')
    await waitFor('round 1 in the log', () => lineCount() === COUNT)
    fill(path.join(mnt, 'filler'))
    // Rounds 2-4 do not fit (a part of round 2 may, in the log's last page).
    for (let r = 2; r <= 4; r++) {
      process.kill(info.pid, 'SIGUSR2')
      await waitFor('round ' + r, () => rounds() === r)
    }
    await waitFor('the disk-full report', () => errors.length >= 1, 10000)
    assert.strictEqual(errors.length, 1, 'one report per episode: ' + errors.map((e) => e.message).join('\n'))
    assert.strictEqual(errors[0].id, 0)
    assert.strictEqual(errors[0].name, null)
    const first = /cannot write log file (.*): No space left on device .*; (\d+) lines? (is|are) lost/.exec(errors[0].message)
    assert.ok(first, errors[0].message)
    assert.strictEqual(first[1], log)
    // Space comes back: the next round is written, after a report of how many were lost.
    fs.unlinkSync(path.join(mnt, 'filler'))
    process.kill(info.pid, 'SIGUSR2')
    await waitFor('the recovery report', () => errors.length >= 2, 10000)
    await pm.stop('burst')
    const recovered = /log file (.*) is written again; (\d+) lines? could not be written before/.exec(errors[1].message)
    assert.ok(recovered, errors[1].message)
    const lost = Number(recovered[2])
    assert.ok(lost >= Number(first[2]))
    const lines = readLines(log)
    // Every line whole: a torn line, or one glued to the next, fails here.
    const seen = lines.map((l) => {
      const m = /^\S+ burst\[\d+\] out: burst (\d+) (\d+) (p+)$/.exec(l)
      assert.ok(m && m[3].length === 80, 'a torn or glued line: ' + l.slice(0, 200))
      return [Number(m[1]), Number(m[2])]
    })
    assert.strictEqual(seen.length + lost, 5 * COUNT, `${seen.length} written + ${lost} lost`)
    assert.ok(seen.filter(([r]) => r === 5).length === COUNT, 'the round after recovery is whole')
    assert.ok(seen.filter(([r]) => r === 1).length === COUNT)
  } finally {
    pm.off('error', onError)
    await pm.stopall()
    unmount()
  }
})
