'use strict'
// Logs a desktop app can ship (issue 22): the default rotation bounds a flood, logCompress
// yields valid gzip files holding the kept lines, a crash's last lines ride on its 'exit'
// event and lastExit, pm.logs() reads back across rotations and compressed files (and after a
// stop, and without a log file), bad input is a clear error, and a log the user deletes or
// replaces keeps working.
//
// Every numbered line (fixtures/desktop.js) is `<seq, 10 digits> <x padding>` of a known
// width, so a torn, glued, lost or reordered line shows.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')
const { spawnSync } = require('node:child_process')
const pm = require('..')
const { FIXTURES, ROOT, tmpdir, waitFor, readLines } = require('./helpers')

const DESKTOP = path.join(FIXTURES, 'desktop.js')
const PRINTER = path.join(FIXTURES, 'printer.js')
const RAISES = path.join(FIXTURES, 'py', 'raises.py')
const out = tmpdir('logs-desktop')
const MiB = 1024 * 1024
const TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.+)\[(\d+)\] (out|err): (.*)$/
// What the defaults allow one log on disk: x.log and three rotated files of 10 MiB.
const DEFAULT_MAX_SIZE = 10 * MiB
const DEFAULT_BOUND = 4 * DEFAULT_MAX_SIZE
// What pm keeps of a process's last lines.
const LAST_LINES = 20
const LAST_BYTES = 8192

test.afterEach(() => pm.stopall())
// The flood tests leave tens of MiB behind.
test.after(() => fs.rmSync(out, { recursive: true, force: true }))

// ---- helpers ------------------------------------------------------------------------------

/** The sequence number of a numbered line of `width` bytes, or -1 for anything else. */
function seqOf (text, width = 100) {
  const m = /^(\d{10}) (x+)$/.exec(text)
  return m && m[2].length === width - 12 ? Number(m[1]) : -1
}

/** Asserts `texts` are numbered lines `first`, `first + 1`, … `last`: none torn, lost or out of order. */
function assertRun (texts, last, width = 100, what = 'the lines') {
  assert.ok(texts.length > 0, what + ': none')
  const first = last - texts.length + 1
  texts.forEach((t, i) => {
    const seq = seqOf(t, width)
    if (seq !== first + i) {
      assert.fail(`${what}: line ${i} should be number ${first + i}, got ${JSON.stringify(t.slice(0, 120))}` +
        (seq >= 0 ? ` (number ${seq})` : ' (torn)'))
    }
  })
}

/** A text log line's parts, failing on a torn one. */
function parse (line) {
  const m = TEXT.exec(line)
  assert.ok(m, 'a torn log line: ' + JSON.stringify(line.slice(0, 160)))
  return { time: m[1], name: m[2], pid: Number(m[3]), stream: m[4], text: m[5] }
}

/** A log's files on disk, oldest first: `x.log.N[.gz]` … `x.log.1[.gz]`, then `x.log`. */
function keptFiles (log) {
  const base = path.basename(log)
  const numbered = fs.readdirSync(path.dirname(log))
    .map((f) => ({ f, m: new RegExp('^' + base.replace(/\./g, '\\.') + '\\.(\\d+)(\\.gz)?$').exec(f) }))
    .filter((x) => x.m)
    .sort((x, y) => Number(y.m[1]) - Number(x.m[1]))
    .map((x) => path.join(path.dirname(log), x.f))
  return fs.existsSync(log) ? numbered.concat(log) : numbered
}

/** A file's text, gunzipped when it is a `.gz`. */
function textOf (file) {
  const data = fs.readFileSync(file)
  return (file.endsWith('.gz') ? zlib.gunzipSync(data) : data).toString('utf8')
}

/** Every line of a log's kept files, oldest first, parsed. */
function keptLines (log) {
  const lines = []
  for (const f of keptFiles(log)) {
    const text = textOf(f)
    assert.ok(text === '' || text.endsWith('\n'), `${f} ends inside a line`)
    for (const l of text.split('\n')) if (l) lines.push(parse(l))
  }
  return lines
}

/** The next 'exit' event of `name`. */
function nextExit (name) {
  return new Promise((resolve) => {
    pm.on('exit', function on (e) {
      if (e.name !== name) return
      pm.off('exit', on)
      resolve(e)
    })
  })
}

/** Has an `ondemand` service print `n` more lines (on `stream`); resolves once it said so. */
function print (name, n, stream = 'out') {
  return new Promise((resolve) => {
    pm.on('message', function on (e) {
      if (e.name !== name || !e.message || typeof e.message.printed !== 'number') return
      pm.off('message', on)
      resolve(e.message.printed)
    })
    assert.strictEqual(pm.send(name, { print: n, stream }), 1)
  })
}

/** Waits until pm.logs() gives `seq` as the service's newest line. */
function logsReach (name, seq) {
  return waitFor(`line ${seq} of ${name} in pm.logs()`, async () => {
    const [l] = await pm.logs(name, { lines: 1 })
    return l && seqOf(l.text) === seq
  }, 20000)
}

/** Runs a service until it exits by itself; returns its exit event and stop()'s final info. */
async function runToExit (options) {
  const exited = nextExit(options.name)
  await pm.start(Object.assign({ restartAt: [] }, options))
  const exit = await exited
  // A finished process's stop() resolves once its output is written.
  const [info] = await pm.stop(options.name)
  return { exit, info }
}

function bytes (lastLines) {
  return lastLines.reduce((n, l) => n + Buffer.byteLength(l.text), 0)
}

/** A log line as pm writes it (for files made by hand), at `ms` since the Unix epoch. */
function logLine (ms, name, pid, text) {
  return `${new Date(ms).toISOString()} ${name}[${pid}] out: ${text}\n`
}

function numberedLines (first, count) {
  return Array.from({ length: count }, (_, i) => String(first + i).padStart(10, '0') + ' ' + 'x'.repeat(88))
}

// ---- the default rotation bounds what a log takes on disk ---------------------------------

test('200 MiB printed with the default options leave at most 40 MiB: the newest lines, in order, none torn', { timeout: 300000 }, async () => {
  const dir = path.join(out, 'flood200')
  const log = path.join(dir, 'x.log')
  const count = (200 * MiB) / 100
  const { exit } = await runToExit({ name: 'flood200', script: DESKTOP, args: ['numbered', String(200 * MiB)], log })
  assert.strictEqual(exit.code, 0)
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['x.log', 'x.log.1', 'x.log.2', 'x.log.3'], 'the log and three rotated files, nothing else')
  let total = 0
  for (const f of keptFiles(log)) {
    const size = fs.statSync(f).size
    assert.ok(size <= DEFAULT_MAX_SIZE, `${f} has ${size} bytes, over 10 MiB`)
    total += size
  }
  assert.ok(total <= DEFAULT_BOUND, `${total} bytes on disk, over 40 MiB`)
  assert.ok(total > 3 * DEFAULT_MAX_SIZE, `${total} bytes: the three rotated files should be (nearly) full`)
  const lines = keptLines(log)
  assert.ok(lines.every((l) => l.name === 'flood200' && l.pid === exit.pid && l.stream === 'out'))
  // The newest lines, down to the last one printed, with no gap.
  assertRun(lines.map((l) => l.text), count - 1, 100, 'the kept lines')
  // pm.logs() reads the same from the end.
  const got = await pm.logs('flood200', { lines: 1000 })
  assert.deepStrictEqual(got.map((l) => l.text), lines.slice(-1000).map((l) => l.text))
})

// ---- logCompress --------------------------------------------------------------------------

test('logCompress: rotated files become valid gzip files; with the live file they hold the kept lines in order, none torn', { timeout: 120000 }, async () => {
  const dir = path.join(out, 'gz')
  const log = path.join(dir, 'c.log')
  const MAX = 65536
  const count = Math.floor((2 * MiB) / 100)
  const { exit } = await runToExit({
    name: 'gz', script: DESKTOP, args: ['numbered', String(2 * MiB)], log, logMaxSize: MAX, logKeep: 5, logCompress: true
  })
  assert.strictEqual(exit.code, 0)
  // About 45 rotations; compression runs on its own thread, after them.
  await waitFor('every rotated file compressed', () => fs.readdirSync(dir).every((f) => f === 'c.log' || /^c\.log\.\d+\.gz$/.test(f)), 60000)
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['c.log', 'c.log.1.gz', 'c.log.2.gz', 'c.log.3.gz', 'c.log.4.gz', 'c.log.5.gz'])
  for (const f of keptFiles(log).slice(0, -1)) {
    const data = fs.readFileSync(f)
    assert.deepStrictEqual([data[0], data[1]], [0x1f, 0x8b], `${f}: not gzip`)
    const plain = zlib.gunzipSync(data) // throws on a truncated or corrupt file
    assert.ok(plain.length > 0 && plain.length <= MAX, `${f} holds ${plain.length} bytes`)
    assert.ok(data.length < plain.length / 4, `${f}: ${data.length} bytes for ${plain.length}: compressed?`)
  }
  const lines = keptLines(log)
  assert.ok(lines.every((l) => l.name === 'gz' && l.pid === exit.pid))
  assertRun(lines.map((l) => l.text), count - 1, 100, 'the kept lines, oldest .gz to the live file')
  assert.ok(lines.length > 5 * (MAX / 150), `${lines.length} lines kept: the .gz files are full ones`)
  // pm.logs() reads them back through the compressed files too.
  const got = await pm.logs('gz', { lines: 100000 })
  assert.deepStrictEqual(got.map((l) => l.text), lines.map((l) => l.text))
})

test('logCompress after a crash: a leftover temporary file is removed, a plain rotated file compressed, a finished .gz kept', async () => {
  const dir = path.join(out, 'recover')
  fs.mkdirSync(dir, { recursive: true })
  const log = path.join(dir, 'r.log')
  const t0 = Date.now() - 3600000
  const file = (from, n) => numberedLines(from, n).map((t, i) => logLine(t0 + from + i, 'recover', 4242, t)).join('')
  // A compression that died halfway, an older rotated file that was never compressed, and one
  // that died between the rename of its .gz and the removal of the plain file.
  const tmp = path.join(dir, '.r.log.gz-tmp-99999-0')
  fs.writeFileSync(tmp, zlib.gzipSync(file(0, 10)).subarray(0, 20))
  fs.writeFileSync(log + '.1', file(10, 10))
  const gz2 = zlib.gzipSync(file(0, 10))
  fs.writeFileSync(log + '.2.gz', gz2)
  fs.writeFileSync(log + '.2', file(0, 10))

  const info = await pm.start({ name: 'recover', script: DESKTOP, args: ['ondemand'], log, logMaxSize: 65536, logCompress: true })
  await waitFor('the recovery', () => !fs.existsSync(tmp) && !fs.existsSync(log + '.1') && !fs.existsSync(log + '.2') && fs.existsSync(log + '.1.gz'), 20000)
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['r.log', 'r.log.1.gz', 'r.log.2.gz'])
  assert.strictEqual(zlib.gunzipSync(fs.readFileSync(log + '.1.gz')).toString(), file(10, 10), 'x.log.1 compressed whole')
  assert.deepStrictEqual(fs.readFileSync(log + '.2.gz'), gz2, 'the finished .gz is kept as it was')
  // The new process's lines follow the recovered ones in pm.logs().
  await print('recover', 5)
  await logsReach('recover', 4)
  const got = await pm.logs('recover', { lines: 25 })
  assert.deepStrictEqual(got.map((l) => l.text), numberedLines(0, 20).concat(numberedLines(0, 5)))
  assert.deepStrictEqual(got.map((l) => l.pid), Array(20).fill(4242).concat(Array(5).fill(info.pid)))
})

// ---- lastLines: what a crash report needs --------------------------------------------------

test("a Node service that throws: its 'exit' event's lastLines carry the error on err, and so does list()'s lastExit", async () => {
  const log = path.join(out, 'boom.log')
  const exited = nextExit('boom')
  const info = await pm.start({ name: 'boom', script: DESKTOP, args: ['throw', 'boom 42'], log, restartAt: [] })
  const e = await exited
  assert.strictEqual(e.pid, info.pid)
  assert.strictEqual(e.requested, false)
  assert.strictEqual(e.code, 1)
  assert.ok(Array.isArray(e.lastLines) && e.lastLines.length > 0 && e.lastLines.length <= LAST_LINES, JSON.stringify(e.lastLines))
  assert.ok(e.lastLines.every((l) => Object.keys(l).sort().join() === 'stream,text'))
  assert.ok(e.lastLines.some((l) => l.stream === 'err' && l.text === 'Error: boom 42'), JSON.stringify(e.lastLines, null, 1))
  const listed = pm.list().find((p) => p.id === info.id)
  assert.deepStrictEqual(listed.lastExit.lastLines, e.lastLines)
  // Everything it printed was on stderr, fewer than 20 lines: the log has the same lines.
  const [final] = await pm.stop('boom')
  const logged = readLines(log).map(parse)
  assert.ok(logged.length <= LAST_LINES)
  assert.deepStrictEqual(e.lastLines, logged.map((l) => ({ stream: l.stream, text: l.text })))
  assert.deepStrictEqual(final.lastExit.lastLines, e.lastLines)
})

test("a Python service that raises: lastLines end with the traceback's last line", async () => {
  const log = path.join(out, 'raises.log')
  const exited = nextExit('raises')
  const info = await pm.start({ name: 'raises', script: RAISES, log, restartAt: [] })
  const e = await exited
  assert.strictEqual(e.code, 1)
  const err = e.lastLines.filter((l) => l.stream === 'err').map((l) => l.text)
  assert.strictEqual(err[err.length - 1], "ValueError: bad value: 'seven'", JSON.stringify(e.lastLines, null, 1))
  assert.strictEqual(err[0], 'Traceback (most recent call last):')
  assert.ok(e.lastLines.some((l) => l.stream === 'out' && l.text === 'parsing'))
  assert.deepStrictEqual(pm.list().find((p) => p.id === info.id).lastExit.lastLines, e.lastLines)
  await pm.stop('raises')
  assert.deepStrictEqual(err, readLines(log).map(parse).filter((l) => l.stream === 'err').map((l) => l.text), 'as the log has them')
})

test('1000 lines then a crash: lastLines are the last 20 lines, or fewer within 8 KiB, exactly as the log ends', async () => {
  for (const width of [100, 2000]) {
    const name = 'crash' + width
    const log = path.join(out, name + '.log')
    const { exit, info } = await runToExit({ name, script: DESKTOP, args: ['lines-then-throw', '1000', String(width)], log })
    const last = exit.lastLines
    assert.ok(last.length <= LAST_LINES, `${last.length} lines`)
    assert.ok(bytes(last) <= LAST_BYTES, `${bytes(last)} bytes`)
    assert.ok(last.some((l) => l.text === 'Error: after 1000 lines'), JSON.stringify(last, null, 1))
    // Every line went to stderr, in one order: the kept ones are the log's last, as many as
    // fit (one more would break a bound).
    const logged = readLines(log).map(parse).map((l) => ({ stream: l.stream, text: l.text }))
    assert.ok(logged.length > 1000)
    assert.deepStrictEqual(last, logged.slice(-last.length))
    const before = logged[logged.length - last.length - 1]
    assert.ok(last.length === LAST_LINES || bytes(last) + Buffer.byteLength(before.text) > LAST_BYTES,
      `${last.length} lines of ${bytes(last)} bytes: room for one more`)
    if (width === 100) assert.strictEqual(last.length, LAST_LINES)
    else assert.ok(last.length < LAST_LINES && last.some((l) => seqOf(l.text, 2000) === 999), 'the 8 KiB bound cut it, after the last numbered line')
    assert.deepStrictEqual(info.lastExit.lastLines, last, "stop()'s final info, as list() had it")
  }
})

test('lastLines are the text as logged: without escape codes under stripANSI', async () => {
  const { exit } = await runToExit({ name: 'ansi', script: PRINTER, args: ['ansi'], log: path.join(out, 'ansi.log'), stripANSI: true })
  assert.deepStrictEqual(exit.lastLines.map((l) => l.stream + ' ' + l.text).sort(), ['err cleared', 'out red and bold green'])
})

// ---- pm.logs() -----------------------------------------------------------------------------

test('pm.logs() across a rotation: exact counts, oldest first, from the live file and the rotated ones; and after stop()', async () => {
  const log = path.join(out, 'reader', 'l.log')
  const info = await pm.start({ name: 'reader', script: DESKTOP, args: ['ondemand'], log, logMaxSize: 4096, logKeep: 5 })
  await print('reader', 120)
  await logsReach('reader', 119)
  assert.ok(fs.existsSync(log + '.1'), 'rotated')
  const live = readLines(log).length
  assert.ok(live < 50, `the live file has ${live} lines: 50 need x.log.1`)
  const got = await pm.logs('reader', { lines: 50 })
  assert.strictEqual(got.length, 50)
  assertRun(got.map((l) => l.text), 119)
  for (const l of got) {
    assert.deepStrictEqual(Object.keys(l).sort(), ['id', 'name', 'pid', 'stream', 'text', 'time'])
    assert.deepStrictEqual([l.id, l.name, l.pid, l.stream], [info.id, 'reader', info.pid, 'out'])
  }
  assert.ok(got.every((l, i) => i === 0 || l.time >= got[i - 1].time), 'oldest first')
  assert.ok(Math.abs(got[49].time - Date.now()) < 60000, 'time in ms since the Unix epoch')
  const kept = keptLines(log).map((l) => l.text)
  assert.ok(kept.length >= 100, `${kept.length} lines kept`)
  assertRun(kept, 119)
  assert.deepStrictEqual((await pm.logs('reader')).map((l) => l.text), kept.slice(-100), 'the default is 100 lines')
  assert.deepStrictEqual((await pm.logs('reader', { lines: 100000 })).map((l) => l.text), kept, 'all there is, when fewer')
  assert.deepStrictEqual((await pm.logs({ name: 'reader' }, { lines: 1 })).map((l) => l.text), kept.slice(-1))
  assert.deepStrictEqual((await pm.logs({ id: info.id }, { lines: 3 })).map((l) => l.text), kept.slice(-3))
  // stderr lines are marked so.
  await print('reader', 3, 'err')
  await logsReach('reader', 122)
  assert.deepStrictEqual((await pm.logs('reader', { lines: 4 })).map((l) => l.stream), ['out', 'err', 'err', 'err'])
  // Stopped: the file is still read, as long as it is the last service of its name.
  const before = (await pm.logs('reader', { lines: 60 })).map((l) => l.text)
  await pm.stop('reader')
  assert.strictEqual(pm.list().length, 0)
  const after = await pm.logs('reader', { lines: 60 })
  assert.deepStrictEqual(after.map((l) => l.text), before)
  assert.strictEqual(after[0].id, info.id)
})

test('pm.logs() while a flood rotates and compresses: every answer is a run of lines with none twice or skipped', { timeout: 120000 }, async () => {
  const dir = path.join(out, 'live')
  const exited = nextExit('live')
  await pm.start({
    name: 'live', script: DESKTOP, args: ['numbered', String(100 * MiB)], log: path.join(dir, 'x.log'),
    logMaxSize: 65536, logKeep: 5, logCompress: true, restartAt: []
  })
  let done = false
  exited.then(() => { done = true })
  let calls = 0
  let newest = -1
  while (!done) {
    const texts = (await pm.logs('live', { lines: 3000 })).map((l) => l.text)
    calls++
    if (texts.length === 0) continue
    // Lines past a rotation or a compression, read while they happen.
    assertRun(texts, seqOf(texts[texts.length - 1]), 100, `answer ${calls}`)
    assert.ok(seqOf(texts[texts.length - 1]) >= newest, `answer ${calls} is older than the one before`)
    newest = seqOf(texts[texts.length - 1])
  }
  assert.ok(calls >= 20 && newest > 0, `${calls} answers during the flood, up to line ${newest}`)
})

test('pm.logs() of a shared file gives only the named service its lines, in text and in JSON', async () => {
  for (const logFormat of ['text', 'json']) {
    const log = path.join(out, 'shared-' + logFormat + '.log')
    // "web" is the start of "web-2"'s name: its lines are not "web"'s.
    const names = ['web', 'web-2']
    const infos = {}
    for (const name of names) infos[name] = await pm.start({ name, script: DESKTOP, args: ['ondemand'], log, logFormat, logMaxSize: 8192 })
    for (let round = 0; round < 4; round++) {
      await Promise.all(names.map((name, i) => print(name, 20 + i * 10)))
    }
    await logsReach('web', 79)
    await logsReach('web-2', 119)
    assert.ok(fs.existsSync(log + '.1'), 'rotated')
    for (const name of names) {
      const total = name === 'web' ? 80 : 120
      const got = await pm.logs(name, { lines: 40 })
      assert.ok(got.every((l) => l.name === name && l.pid === infos[name].pid && l.id === infos[name].id), logFormat + ': another service\'s line')
      assertRun(got.map((l) => l.text), total - 1, 100, `${logFormat}: ${name}`)
      assert.strictEqual(got.length, 40)
    }
    if (logFormat === 'json') {
      const line = JSON.parse(readLines(log)[0])
      assert.deepStrictEqual(Object.keys(line), ['time', 'name', 'pid', 'stream', 'line'])
    }
    await pm.stopall()
  }
})

// In a child main process: a service without `log` prints to the main process's stdout.
test('pm.logs() of a service without log: the last lines pm keeps (at most 20), running and stopped', () => {
  const code = `
    const pm = require(${JSON.stringify(ROOT)})
    const DESKTOP = ${JSON.stringify(DESKTOP)}
    const wait = (fn) => new Promise((resolve) => { const t = setInterval(async () => { if (await fn()) { clearInterval(t); resolve() } }, 20) })
    ;(async () => {
      const info = await pm.start({ name: 'nolog', script: DESKTOP, args: ['ondemand'] })
      pm.send('nolog', { print: 30 })
      await wait(async () => { const l = await pm.logs('nolog', { lines: 1 }); return l.length && l[0].text.startsWith('0000000029') })
      const running = await pm.logs('nolog')
      const five = await pm.logs('nolog', { lines: 5 })
      const [stopped] = await pm.stop('nolog')
      const after = await pm.logs('nolog')
      console.log('RESULT ' + JSON.stringify({ info, running, five, after, lastLines: stopped.lastExit.lastLines }))
    })().catch((e) => { console.log('RESULT ' + JSON.stringify({ error: e.stack })) })`
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60000 })
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  assert.ok(line, r.stdout.slice(-2000) + r.stderr.slice(-2000))
  const res = JSON.parse(line.slice(7))
  assert.ok(!res.error, res.error)
  assert.match(r.stdout, /nolog\[\d+\] out: 0000000029 x+$/m, 'the lines went to stdout')
  assert.strictEqual(res.running.length, LAST_LINES)
  assertRun(res.running.map((l) => l.text), 29)
  assert.ok(res.running.every((l) => l.id === res.info.id && l.name === 'nolog' && l.pid === res.info.pid && l.stream === 'out'))
  assert.deepStrictEqual(res.five, res.running.slice(-5))
  assert.deepStrictEqual(res.after, res.running, 'the same after stop()')
  assert.deepStrictEqual(res.lastLines, res.running.map((l) => ({ stream: l.stream, text: l.text })))
})

test('pm.logs() of a name started again reads its newest service', async () => {
  const first = path.join(out, 'again-1.log')
  const second = path.join(out, 'again-2.log')
  await pm.start({ name: 'again', script: DESKTOP, args: ['ondemand'], log: first })
  await print('again', 5)
  await logsReach('again', 4)
  await pm.stop('again')
  await pm.start({ name: 'again', script: DESKTOP, args: ['ondemand'], log: second })
  await pm.stop('again')
  assert.deepStrictEqual(await pm.logs('again'), [], 'the new one printed nothing')
  assert.strictEqual(readLines(first).length, 5, 'the first one\'s file is still there')
})

test('pm.logs() keeps lines that are not UTF-8 (U+FFFD for the bad bytes), in text and in JSON', async () => {
  for (const logFormat of ['text', 'json']) {
    const name = 'latin1-' + logFormat
    await runToExit({ name, script: DESKTOP, args: ['latin1'], log: path.join(out, name + '.log'), logFormat })
    const got = (await pm.logs(name)).map((l) => l.text)
    assert.strictEqual(got.length, 3, logFormat + ': ' + JSON.stringify(got.map((t) => t.slice(0, 40))))
    assert.strictEqual(got[0], 'caf\ufffd au lait')
    // The 80,001-byte line in 64 KiB pieces, the cut inside a character.
    assert.ok(got[1].startsWith('a\u00e9\u00e9') && got[1].endsWith('\u00e9\ufffd'), logFormat)
    assert.ok(got[2].startsWith('\ufffd\u00e9') && got[2].endsWith('\u00e9\u00e9'), logFormat)
  }
})

test('pm.logs() bad input: an unknown name rejects with ERR_PM_UNKNOWN_SERVICE, bad options throw ERR_PM_OPTION', async () => {
  for (const t of ['nobody-has-this-name', { name: 'nobody' }, { id: 987654321 }]) {
    const p = pm.logs(t)
    assert.ok(p instanceof Promise, 'a promise, not a throw')
    await assert.rejects(p, (e) => e.code === 'ERR_PM_UNKNOWN_SERVICE' && /pm\.logs: /.test(e.message), JSON.stringify(t))
  }
  await pm.start({ name: 'known', script: DESKTOP, args: ['ondemand'], log: path.join(out, 'known.log') })
  for (const lines of [0, -1, 1.5, 1e9, 100001, 'x', '10', NaN, Infinity, null, true, [10]]) {
    assert.throws(() => pm.logs('known', { lines }), (e) => e.code === 'ERR_PM_OPTION' && e instanceof TypeError && /"lines"/.test(e.message), String(lines))
  }
  assert.throws(() => pm.logs('known', { line: 5 }), (e) => e.code === 'ERR_PM_OPTION' && /unknown option "line"/.test(e.message))
  assert.throws(() => pm.logs('known', 5), (e) => e.code === 'ERR_PM_OPTION')
  assert.throws(() => pm.logs(), (e) => e.code === 'ERR_PM_OPTION' && /expected a name/.test(e.message))
  assert.throws(() => pm.logs(42), (e) => e.code === 'ERR_PM_OPTION')
  assert.deepStrictEqual(await pm.logs('known', { lines: 100000 }), [], 'the largest allowed')
  assert.deepStrictEqual(await pm.logs('known', undefined), [])
})

test('start() bad rotation input: logCompress without log, or with nothing rotated; logMaxSize and logKeep out of range', () => {
  const bad = [
    [{ logCompress: true }, /option "logCompress" needs a "log" file/],
    [{ logCompress: true, log: path.join(out, 'bad.log'), logMaxSize: 0 }, /option "logCompress" .*"logMaxSize": 0/],
    [{ logCompress: true, log: path.join(out, 'bad.log'), logKeep: 0 }, /option "logCompress" .*"logKeep": 0/],
    [{ logCompress: 'yes', log: path.join(out, 'bad.log') }, /"logCompress"/],
    [{ logMaxSize: 4095, log: path.join(out, 'bad.log') }, /option "logMaxSize" must be 0 \(no rotation\) or at least 4096 bytes, got 4095/],
    [{ logMaxSize: -1, log: path.join(out, 'bad.log') }, /"logMaxSize"/],
    [{ logKeep: 1001, log: path.join(out, 'bad.log') }, /option "logKeep" must be at most 1000/],
    [{ logKeep: 1.5, log: path.join(out, 'bad.log') }, /"logKeep"/]
  ]
  for (const [options, message] of bad) {
    assert.throws(() => pm.start(Object.assign({ name: 'bad', script: DESKTOP, args: ['ondemand'] }, options)),
      (e) => e.code === 'ERR_PM_OPTION' && message.test(e.message), JSON.stringify(options))
  }
  assert.strictEqual(pm.list().length, 0, 'nothing started')
})

// ---- the user's hands on the files -------------------------------------------------------

test('a log deleted, replaced or moved away while the service runs: the next lines go to the path, rotation and pm.logs() go on', async () => {
  const dir = path.join(out, 'hands')
  const log = path.join(dir, 'h.log')
  await pm.start({ name: 'hands', script: DESKTOP, args: ['ondemand'], log })
  const fileSeqs = () => readLines(log).map((l) => seqOf(parse(l).text))
  await print('hands', 10)
  await waitFor('lines 0-9 in the file', () => fileSeqs().length === 10)
  // Deleted.
  fs.unlinkSync(log)
  await print('hands', 10)
  await waitFor('lines 10-19 in a new file', () => fileSeqs().join() === '10,11,12,13,14,15,16,17,18,19', 10000)
  // Replaced (an editor's save: a new file renamed over it): pm appends to the new file.
  fs.writeFileSync(log + '.new', 'the user was here\n')
  fs.renameSync(log + '.new', log)
  await print('hands', 10)
  await waitFor('lines 20-29 after the user\'s line', () => readLines(log).length === 11, 10000)
  assert.strictEqual(readLines(log)[0], 'the user was here')
  assert.deepStrictEqual(readLines(log).slice(1).map((l) => seqOf(parse(l).text)), numberedLines(20, 10).map((t) => seqOf(t)))
  // Moved away: a new file at the path; the moved one keeps what it had.
  fs.renameSync(log, path.join(dir, 'moved.txt'))
  await print('hands', 10)
  await waitFor('lines 30-39 in a new file', () => fileSeqs().length === 10 && fileSeqs()[0] === 30, 10000)
  assert.strictEqual(readLines(path.join(dir, 'moved.txt')).length, 11)
  assert.deepStrictEqual((await pm.logs('hands', { lines: 100 })).map((l) => seqOf(l.text)), fileSeqs(), 'pm.logs() reads the file at the path')
  // The default rotation still works, counting from the new file (10 MiB: print past it).
  const before = fs.readdirSync(dir).sort()
  await print('hands', 120000)
  await logsReach('hands', 120039)
  await pm.stop('hands')
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), before.concat('h.log.1').sort())
  const kept = keptLines(log).map((l) => l.text)
  assert.ok(fs.statSync(log + '.1').size <= DEFAULT_MAX_SIZE)
  assertRun(kept, 120039, 100, 'across the rotation after the moves')
  assert.ok(kept.length === 120010, `${kept.length} lines: lines 30 to 120039`)
})
