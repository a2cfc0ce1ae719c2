'use strict'
// Issue 20, services that talk over stdio (`stdio: 'pipe'`, `pm.stdio(name)`), under plain Node
// 20 on Linux: 100 MiB through `cat` both ways, byte for byte; backpressure both ways with the
// main process's RSS measured (a service that never reads its stdin, an app that stops reading
// stdout); restarts (a new pair per process, the old stdout's 'end', EPIPE on the old stdin, a
// 'start' listener that misses no byte, even of a process that exited before the app heard of
// its start); nothing of stdout in the log or 'log' events; Node's
// IPC channel and the Python helper beside the pipes; nothing polled while a service is quiet;
// bad input and the errors of pm.stdio().

const test = require('node:test')
const assert = require('node:assert')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const v8 = require('node:v8')
const vm = require('node:vm')
const { once } = require('node:events')
const pm = require('..')
const { FIXTURES, tmpdir, sleep, waitFor } = require('./helpers')

const S = path.join(FIXTURES, 'stdio')
const CAT = '/bin/cat'
const KiB = 1024
const MiB = 1024 * KiB
const out = tmpdir('stdio')

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')
/** The main process's RSS once the garbage is collected. */
function rss () {
  gc()
  gc()
  return process.memoryUsage().rss
}
const mib = (bytes) => (bytes / MiB).toFixed(2) + ' MiB'
const signed = (bytes) => (bytes >= 0 ? '+' : '') + (bytes / KiB).toFixed(0) + ' KiB'

/** Every 'message' event of the services, and a way to wait for one (or to ask and wait). */
function messages () {
  const got = []
  const fn = (e) => got.push(e)
  pm.on('message', fn)
  return {
    got,
    next (what, pred, timeout = 20000) {
      const from = got.length
      return waitFor(what, () => got.slice(from).find(pred), timeout)
    },
    wait (what, pred, timeout = 20000) {
      return waitFor(what, () => got.find(pred), timeout)
    },
    async ask (name, pid, message, pred, timeout = 20000) {
      const from = got.length
      assert.strictEqual(pm.send(name, message), 1, 'send() reached the service')
      const e = await waitFor(JSON.stringify(message) + ' answered', () => got.slice(from).find((m) => m.pid === pid && pred(m.message)), timeout)
      return e.message
    },
    close: () => pm.off('message', fn)
  }
}

/**
 * Writes `total` random bytes to `stdin` as a well-behaved app does (waits for 'drain' whenever
 * write() returns false), in chunks of random sizes up to `max`; hashes what it wrote.
 */
async function feed (stdin, total, max = 256 * KiB, progress = () => {}) {
  const hash = crypto.createHash('sha256')
  let sent = 0
  let falses = 0
  let drains = 0
  stdin.on('drain', () => drains++)
  while (sent < total) {
    const size = Math.min(total - sent, 1 + crypto.randomInt(max))
    const chunk = crypto.randomBytes(size)
    hash.update(chunk)
    sent += size
    progress(sent)
    if (!stdin.write(chunk)) {
      falses++
      await once(stdin, 'drain')
    }
  }
  stdin.end()
  return { sent, sha256: hash.digest('hex'), falses, drains }
}

/** Reads a Readable to its end: byte count, sha256, chunks. */
function drain (readable) {
  const hash = crypto.createHash('sha256')
  const r = { bytes: 0, chunks: 0, sha256: null }
  readable.on('data', (c) => { r.bytes += c.length; r.chunks++; hash.update(c) })
  return once(readable, 'end').then(() => { r.sha256 = hash.digest('hex'); return r })
}

/** Log lines of the services, from 'log' events. */
function logEvents () {
  const lines = []
  const fn = (e) => lines.push(...e.lines)
  pm.on('log', fn)
  return { lines, close: () => pm.off('log', fn) }
}

const readText = (file) => { try { return fs.readFileSync(file, 'utf8') } catch (e) { return '' } }

test.afterEach(() => pm.stopall())

test('100 MiB through cat both ways: every byte in order (sha256), in chunks, write() false and drain, nothing in the log', { timeout: 180000 }, async (t) => {
  const log = path.join(out, 'cat.log')
  const events = logEvents()
  t.after(events.close)
  const info = await pm.start({ name: 'cat', script: CAT, stdio: 'pipe', log, restart: 'on-failure' })
  const io = pm.stdio('cat')
  assert.strictEqual(io.pid, info.pid)
  assert.strictEqual(io.id, info.id)
  assert.strictEqual(pm.stdio('cat'), io, 'the same pair on every call for one process')
  assert.strictEqual(pm.stdio({ id: info.id }), io, '{ id } reaches it too')
  const t0 = Date.now()
  const [sent, got] = await Promise.all([feed(io.stdin, 100 * MiB), drain(io.stdout)])
  const secs = (Date.now() - t0) / 1000
  assert.strictEqual(got.bytes, sent.sent)
  assert.strictEqual(got.sha256, sent.sha256, 'the bytes that came out are the bytes that went in')
  // Random bytes have a newline every 256 bytes on average: ~400,000 lines came in far fewer
  // chunks (pm hands JS what the pipe holds, up to 1 MiB, never a line at a time).
  assert.ok(got.bytes / got.chunks >= 4 * KiB, `chunks of ${(got.bytes / got.chunks).toFixed(0)} bytes on average (${got.chunks} chunks)`)
  assert.ok(sent.falses > 0, 'write() returned false at some point')
  assert.ok(sent.drains >= sent.falses, `'drain' came after each false (${sent.drains} / ${sent.falses})`)
  // cat exited 0 at the end of its stdin: done, and its stdout ended.
  const done = await waitFor('cat stopped', () => pm.list().find((p) => p.name === 'cat' && p.state === 'stopped'))
  assert.strictEqual(done.lastExit.code, 0)
  assert.strictEqual(pm.stdio('cat'), null, 'nothing of that name runs')
  assert.strictEqual(readText(log), '', 'nothing of stdout in the log file')
  assert.deepStrictEqual(events.lines.filter((l) => l.id === info.id), [], 'nothing of stdout in log events')
  t.diagnostic(`100 MiB both ways through cat in ${secs.toFixed(2)} s (${(100 / secs).toFixed(0)} MiB/s), ${got.chunks} chunks, write() false ${sent.falses} times`)
})

test('a service that never reads stdin (Python, with the helper): write() false, pm holds no more than a chunk, RSS flat; then drain and every byte', { timeout: 120000 }, async (t) => {
  const msgs = messages()
  t.after(msgs.close)
  const info = await pm.start({ name: 'hold-py', script: path.join(S, 'hold.py'), stdio: 'pipe', log: path.join(out, 'hold-py.log') })
  await msgs.wait('hello', (e) => e.pid === info.pid && e.message.hello === 'ready')
  const io = pm.stdio('hold-py')
  const pending = () => msgs.ask('hold-py', info.pid, { pending: true }, (m) => 'pending' in m).then((m) => m.pending)
  assert.strictEqual(await pending(), 0)
  // Warm up the paths the test takes (a 64 KiB write through pm, the messages), then the baseline.
  const first = crypto.randomBytes(64 * KiB)
  if (!io.stdin.write(first)) await once(io.stdin, 'drain') // the empty pipe takes it
  await waitFor('the first chunk in the pipe', async () => (await pending()) === first.length)
  const baseline = rss()

  // The app writes 100 MiB as a well-behaved app does, and is held back by the service's pipe.
  const total = 100 * MiB
  let produced = first.length
  let blocked = 0
  const hash = crypto.createHash('sha256').update(first)
  const writer = (async () => {
    while (produced < total) {
      const chunk = crypto.randomBytes(64 * KiB)
      hash.update(chunk)
      produced += chunk.length
      if (!io.stdin.write(chunk)) {
        blocked++
        await once(io.stdin, 'drain')
      }
    }
    io.stdin.end()
  })()
  // Stalled: the pipe is full (the service says so) and the app makes no more progress.
  let last = -1
  let inPipe = 0
  await waitFor('the pipe full and the writer stalled', async () => {
    inPipe = await pending()
    const still = produced === last
    last = produced
    return inPipe >= 60 * KiB && still
  }, 20000)
  const held = rss() - baseline
  assert.ok(blocked >= 1, 'write() returned false')
  // Every byte that left the app is in the service's pipe or still in the Writable (which
  // counts the chunk pm is writing): nothing went into a buffer of pm's own.
  assert.ok(produced <= inPipe + io.stdin.writableLength, `the app wrote ${mib(produced)}; ${mib(inPipe)} in the pipe, ${mib(io.stdin.writableLength)} in the Writable`)
  assert.ok(io.stdin.writableLength <= 128 * KiB, `the Writable holds ${io.stdin.writableLength} bytes`)
  assert.ok(produced <= inPipe + 128 * KiB, `the app could write only ${mib(produced)} of 100 MiB before it had to wait`)
  assert.ok(held < 4 * MiB, `RSS grew by ${mib(held)} while the app wrote to a service that does not read`)
  t.diagnostic(`stalled after ${mib(produced)} (${mib(inPipe)} in the pipe); RSS ${mib(baseline)}, then ${signed(held)}`)

  // The service starts reading: 'drain' comes, the rest goes through, every byte.
  const report = msgs.next('the count', (e) => e.pid === info.pid && e.message.bytes !== undefined, 60000)
  assert.strictEqual(pm.send('hold-py', { read: 'count' }), 1)
  await writer
  const { message } = await report
  assert.strictEqual(message.bytes, total)
  assert.strictEqual(message.sha256, hash.digest('hex'))
})

/** Checks that what flood.js wrote arrives whole and in order, chunk by chunk. */
function floodVerifier () {
  const LINES = 4096
  let block = -1
  let expected = null
  let at = 0
  const v = { bytes: 0, error: null }
  v.check = (chunk) => {
    v.bytes += chunk.length
    let off = 0
    while (off < chunk.length && !v.error) {
      if (!expected || at === expected.length) {
        block++
        let s = ''
        for (let i = 0; i < LINES; i++) s += String(block * LINES + i).padStart(15, '0') + '\n'
        expected = Buffer.from(s)
        at = 0
      }
      const n = Math.min(expected.length - at, chunk.length - off)
      if (!chunk.subarray(off, off + n).equals(expected.subarray(at, at + n))) {
        v.error = new Error(`byte ${v.bytes - chunk.length + off}: not what flood.js wrote there`)
      }
      at += n
      off += n
    }
  }
  return v
}

// x86_64 and arm64 numbers of write(2), to see the service blocked in write(1, …).
const WRITE = { x64: '1', arm64: '64' }[process.arch]

test('an app that stops reading stdout: the service blocks in its own pipe, pm reads no further, RSS flat; it goes on when the app reads again', { timeout: 120000 }, async (t) => {
  const count = path.join(out, 'flood.count')
  fs.rmSync(count, { force: true })
  const info = await pm.start({ name: 'flood', script: path.join(S, 'flood.js'), stdio: 'pipe', env: { COUNT: count } })
  const io = pm.stdio('flood')
  const v = floodVerifier()
  io.stdout.on('data', v.check)
  const written = () => Number(readText(count) || 0)
  // Warm up: 16 MiB read as they come, then the app stops reading.
  await waitFor('16 MiB read', () => v.bytes >= 16 * MiB, 60000)
  io.stdout.pause()
  const baseline = rss()
  const blockedInWrite = () => {
    try {
      return fs.readFileSync(`/proc/${info.pid}/syscall`, 'utf8').startsWith(WRITE + ' 0x1 ')
    } catch (e) {
      return false
    }
  }
  // Settled: the service is blocked, and the Readable holds its highWaterMark, so it asks pm
  // for nothing more (a read already asked for when the app paused has come in).
  const full = () => io.stdout.readableLength >= io.stdout.readableHighWaterMark
  await waitFor('the service blocked in write(1, …) and the Readable full', () => blockedInWrite() && full(), 20000)
  const stuck = written()
  const read = v.bytes + io.stdout.readableLength
  // No progress while the app does not read: a second of watching.
  await sleep(1000)
  assert.ok(blockedInWrite(), 'still blocked in write(1, …)')
  assert.strictEqual(written(), stuck, 'the service wrote nothing more')
  assert.strictEqual(v.bytes + io.stdout.readableLength, read, 'pm read nothing more')
  const held = rss() - baseline
  // Between the service and the app: its stdout pipe (1 MiB) and what the Readable holds (its
  // 64 KiB highWaterMark, overshot by at most one chunk: pm reads at most 1 MiB at a time).
  const inReadable = io.stdout.readableLength
  assert.ok(stuck <= v.bytes + inReadable + MiB, `the service wrote ${mib(stuck)}, the app read ${mib(v.bytes)}, the Readable holds ${mib(inReadable)}`)
  assert.ok(inReadable <= io.stdout.readableHighWaterMark + MiB, `the Readable holds ${mib(inReadable)}`)
  assert.ok(held < 4 * MiB, `RSS grew by ${mib(held)} while the service was blocked`)
  t.diagnostic(`blocked after ${mib(stuck)} written, ${mib(v.bytes)} read; RSS ${mib(baseline)}, then ${signed(held)}`)
  // The app reads again: the service goes on, and every byte is in its place.
  io.stdout.resume()
  await waitFor('8 MiB more', () => written() >= stuck + 8 * MiB && v.bytes >= stuck + 8 * MiB, 60000)
  const ended = once(io.stdout, 'end')
  await pm.stop('flood')
  await ended
  assert.strictEqual(v.error, null)
  assert.ok(v.bytes >= written(), `every byte it wrote was read (${v.bytes} of ${written()})`)
})

test("restarts: a new pair per process; the old stdout ends after its last byte; EPIPE on the old stdin; a 'start' listener misses no byte", { timeout: 120000 }, async () => {
  // 48,894 bytes: all of it fits in a new pipe (64 KiB) while nobody reads it.
  const LINES = 10000
  const expected = Array.from({ length: LINES }, (_, i) => (i + 1) + '\n').join('')
  const log = path.join(out, 'seq.log')
  const msgs = messages()
  const pairs = []
  const read = (p) => {
    p.text = ''
    p.io.stdout.setEncoding('utf8')
    p.io.stdout.on('data', (s) => { p.text += s })
  }
  const onStart = (e) => {
    if (e.name !== 'seq') return
    // At once, in the listener: the new process's pair, before anything was read of it.
    const p = { pid: e.pid, io: pm.stdio('seq'), ended: false, text: null }
    if (p.io) p.io.stdout.on('end', () => { p.ended = true })
    // The first process's output is left unread until it is dead; the others are read at once.
    if (p.io && pairs.length > 0) read(p)
    pairs.push(p)
  }
  pm.on('start', onStart)
  const uncaught = []
  const onUncaught = (e) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  try {
    const info = await pm.start({ name: 'seq', script: path.join(S, 'seq.js'), stdio: 'pipe', log, env: { LINES: String(LINES) } })
    await waitFor('the first start event', () => pairs.length === 1)
    const [a] = pairs
    assert.strictEqual(a.pid, info.pid)
    assert.ok(a.io, "pm.stdio() in the 'start' listener")
    assert.strictEqual(a.io.pid, a.pid)
    await msgs.wait('the first wrote its lines', (e) => e.pid === a.pid && e.message.wrote === LINES)

    // SIGKILL: pm starts it again at once.
    process.kill(a.pid, 'SIGKILL')
    await waitFor('the second start', () => pairs.length === 2)
    const b = pairs[1]
    assert.notStrictEqual(b.pid, a.pid)
    assert.ok(b.io && b.io !== a.io && b.io.stdout !== a.io.stdout, 'a new pair')
    assert.strictEqual(b.io.pid, b.pid)
    assert.strictEqual(pm.stdio('seq'), b.io)
    // The dead process's stdout: everything it wrote, then 'end'.
    assert.strictEqual(a.ended, false)
    read(a)
    await waitFor("the old stdout's end", () => a.ended)
    assert.strictEqual(a.text, expected, 'the old stdout gave every line it wrote')
    // The new one's, read from the listener: from its first byte.
    await waitFor('the new lines', () => b.text.length >= expected.length)
    assert.strictEqual(b.text, expected, 'no byte of the new process missed')

    // Writing to the old stdin: an error on that stream, nothing thrown.
    const errored = once(a.io.stdin, 'error').then(([e]) => e)
    let cbError = null
    assert.doesNotThrow(() => a.io.stdin.write('to the dead\n', (e) => { cbError = e }))
    const e = await errored
    assert.strictEqual(e.code, 'EPIPE')
    assert.match(e.message, /stdin/)
    assert.strictEqual(cbError, e)
    // The new stdin reaches the new process (seq.js echoes it).
    b.io.stdin.write('hello, second\n')
    await waitFor('the echo', () => b.text.endsWith('hello, second\n'))

    // restart(): a third pair; the second's stdout ends once read to its end.
    await pm.restart('seq')
    await waitFor('the third start', () => pairs.length === 3)
    const c = pairs[2]
    assert.ok(c.io && c.io !== b.io)
    await waitFor("the second stdout's end", () => b.ended)
    await waitFor('the third lines', () => c.text.length >= expected.length)
    assert.strictEqual(c.text, expected)

    // stop(): its stdout ends, and stdio() is null for that name.
    await pm.stop('seq')
    await waitFor("the third stdout's end", () => c.ended)
    assert.strictEqual(pm.stdio('seq'), null)
    assert.deepStrictEqual(uncaught, [])
    // stderr is still logged, one line per process.
    const logged = readText(log)
    for (const p of pairs) assert.match(logged, new RegExp(`seq\\.js ${p.pid} wrote ${LINES} lines`))
    const lines = logged.split('\n').filter(Boolean)
    assert.strictEqual(lines.length, pairs.length, 'one stderr line per process, nothing of stdout in the log:\n' + logged)
    assert.ok(lines.every((l) => / err: seq\.js \d+ wrote /.test(l)), logged)
  } finally {
    pm.off('start', onStart)
    process.off('uncaughtException', onUncaught)
    msgs.close()
  }
})

test("a process that exits before its 'start' event reaches JS: pm.stdio() in the listener still gives all it wrote", { timeout: 30000 }, async () => {
  const seen = []
  const onStart = (e) => { if (e.name === 'oneshot') seen.push({ pid: e.pid, io: pm.stdio('oneshot') }) }
  pm.on('start', onStart)
  try {
    const started = pm.start({ name: 'oneshot', script: '/bin/echo', args: ['hello'], stdio: 'pipe', restart: 'never' })
    // The main thread busy while echo starts, prints and exits.
    const until = Date.now() + 300
    while (Date.now() < until);
    const info = await started
    await waitFor('the start event', () => seen.length === 1)
    const [s] = seen
    assert.strictEqual(s.pid, info.pid)
    assert.ok(s.io, "a pair for the process the 'start' event is about")
    let text = ''
    s.io.stdout.setEncoding('utf8')
    s.io.stdout.on('data', (x) => { text += x })
    await once(s.io.stdout, 'end')
    assert.strictEqual(text, 'hello\n')
    // Taken and read to its end: nothing of that name runs any more.
    assert.strictEqual(pm.stdio('oneshot'), null)
  } finally {
    pm.off('start', onStart)
  }
})

for (const [kind, script] of [['Node (its IPC channel beside the pipes)', 'hold.js'], ['Python (the elife_pm helper beside the pipes)', 'hold.py']]) {
  test(`${kind}: messages both ways while bytes flow both ways; stderr in the log and log events, stdout in neither`, { timeout: 60000 }, async () => {
    const name = 'echo-' + path.extname(script).slice(1)
    const log = path.join(out, name + '.log')
    const msgs = messages()
    const events = logEvents()
    try {
      const info = await pm.start({ name, script: path.join(S, script), stdio: 'pipe', log })
      await msgs.wait('hello', (e) => e.pid === info.pid && e.message.hello === 'ready')
      const io = pm.stdio(name)
      assert.strictEqual(io.pid, info.pid)
      const report = msgs.next('the count', (e) => e.pid === info.pid && e.message.bytes !== undefined)
      pm.send(name, { read: 'echo' })
      // Lines that would be easy to find in a log, 4 MiB of them, echoed back.
      const marker = 'STDOUT-ONLY '
      let text = ''
      for (let i = 0; text.length < 4 * MiB; i++) text += marker + i + ' ' + 'x'.repeat(100) + '\n'
      const data = Buffer.from(text)
      const got = []
      let gotBytes = 0
      io.stdout.on('data', (c) => { got.push(c); gotBytes += c.length })
      // Messages while the bytes flow: each answered.
      let pongs = 0
      const writing = (async () => {
        for (let off = 0; off < data.length; off += 256 * KiB) {
          if (!io.stdin.write(data.subarray(off, off + 256 * KiB))) await once(io.stdin, 'drain')
          const m = await msgs.ask(name, info.pid, { ping: off }, (x) => x.pong === off)
          assert.strictEqual(m.pid, info.pid)
          pongs++
        }
        io.stdin.end()
      })()
      await writing
      const { message } = await report
      assert.strictEqual(message.bytes, data.length)
      assert.strictEqual(message.sha256, crypto.createHash('sha256').update(data).digest('hex'))
      await waitFor('the echo', () => gotBytes >= data.length)
      assert.ok(Buffer.concat(got).equals(data), 'echoed byte for byte')
      assert.strictEqual(pongs, Math.ceil(data.length / (256 * KiB)))
      // stderr: in the log file and in 'log' events, line by line; stdout: in neither.
      const ext = path.extname(script)
      const upLine = `hold${ext} ${info.pid} up`
      const endLine = `hold${ext} read ${data.length} bytes`
      await waitFor('the stderr lines in the log', () => readText(log).includes(endLine))
      await waitFor('the stderr lines as events', () => events.lines.some((l) => l.id === info.id && l.text === endLine))
      const logged = readText(log)
      assert.ok(logged.includes(upLine), logged)
      assert.ok(!logged.includes(marker), 'no stdout in the log file')
      const mine = events.lines.filter((l) => l.id === info.id)
      assert.deepStrictEqual(mine.map((l) => [l.stream, l.text]), [['err', upLine], ['err', endLine]])
    } finally {
      msgs.close()
      events.close()
    }
  })
}

test('nothing is polled while a piped service is quiet: with a read waiting, pm\'s threads do not wake', { timeout: 60000 }, async () => {
  await pm.start({ name: 'quiet', script: CAT, stdio: 'pipe' })
  const io = pm.stdio('quiet')
  let chunks = 0
  io.stdout.on('data', () => chunks++)
  // One round trip first, so that every thread pm uses for it has run.
  io.stdin.write('ping\n')
  await waitFor('the echo', () => chunks === 1)
  // The 'log' events of an earlier test end with one last tick of theirs, 100 ms after their
  // listener went: let it pass.
  await sleep(500)
  const wakeups = () => {
    const byThread = {}
    for (const t of fs.readdirSync('/proc/self/task')) {
      try {
        const comm = fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim()
        if (!comm.startsWith('elife-pm')) continue
        const status = fs.readFileSync(`/proc/self/task/${t}/status`, 'utf8')
        byThread[t] = { comm, n: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]) }
      } catch (e) {}
    }
    return byThread
  }
  const a = wakeups()
  await sleep(2000) // the window watched
  const b = wakeups()
  const woke = Object.keys(b).filter((t) => b[t].n !== (a[t] ? a[t].n : 0)).map((t) => `${b[t].comm}[${t}] +${b[t].n - (a[t] ? a[t].n : 0)}`)
  assert.ok(Object.keys(b).length > 0, "pm's threads are named elife-pm*")
  assert.deepStrictEqual(woke, [], "pm's threads woke while the service was quiet")
  assert.strictEqual(chunks, 1)
})

test('bad input: stdio other than "pipe" names the option; stdio() of a service not piped; several of a name and { id }; a bad target', async () => {
  for (const bad of ['inherit', 'PIPE', true, 1, ['pipe'], { pipe: true }]) {
    assert.throws(() => pm.start({ name: 'bad', script: CAT, stdio: bad }), (e) => {
      assert.strictEqual(e.code, 'ERR_PM_OPTION')
      assert.match(e.message, /"stdio" must be "pipe"/)
      return true
    }, JSON.stringify(bad))
  }
  assert.strictEqual(pm.list().length, 0)
  // Not piped: a clear error that says so.
  await pm.start({ name: 'plain', script: CAT })
  assert.throws(() => pm.stdio('plain'), (e) => {
    assert.strictEqual(e.code, 'ERR_PM_NOT_PIPED')
    assert.match(e.message, /was not started with stdio: 'pipe'/)
    assert.match(e.message, /plain/)
    return true
  })
  // Nothing of that name: null.
  assert.strictEqual(pm.stdio('nobody'), null)
  assert.strictEqual(pm.stdio({ id: 987654 }), null)
  // A bad target.
  for (const t of [undefined, 42, {}, { name: 'a', id: 1 }]) {
    assert.throws(() => pm.stdio(t), (e) => e.code === 'ERR_PM_OPTION', JSON.stringify(t))
  }
  // Two of a name: ambiguous; each one by its id.
  const one = await pm.start({ name: 'twin', script: CAT, stdio: 'pipe' })
  const two = await pm.start({ name: 'twin', script: CAT, stdio: 'pipe' })
  assert.throws(() => pm.stdio('twin'), (e) => {
    assert.strictEqual(e.code, 'ERR_PM_AMBIGUOUS')
    assert.match(e.message, new RegExp(`ids ${one.id}, ${two.id}`))
    assert.match(e.message, /\{ id \}/)
    return true
  })
  const ios = [one, two].map((i) => pm.stdio({ id: i.id }))
  assert.deepStrictEqual(ios.map((io) => io.pid), [one.pid, two.pid])
  const echoes = await Promise.all(ios.map(async (io, i) => {
    io.stdout.setEncoding('utf8')
    const got = once(io.stdout, 'data')
    io.stdin.write(`to twin ${i}\n`)
    return (await got)[0]
  }))
  assert.deepStrictEqual(echoes, ['to twin 0\n', 'to twin 1\n'])
})

test('writing after stop(): an error on the stream (EPIPE), nothing thrown from pm, no crash without a listener', { timeout: 30000 }, async () => {
  const uncaught = []
  const onUncaught = (e) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  try {
    await pm.start({ name: 'gone', script: CAT, stdio: 'pipe' })
    const io = pm.stdio('gone')
    io.stdout.setEncoding('utf8')
    let text = ''
    io.stdout.on('data', (s) => { text += s })
    io.stdin.write('before\n')
    await waitFor('the echo', () => text === 'before\n')
    const ended = once(io.stdout, 'end')
    await pm.stop('gone')
    await ended
    assert.strictEqual(pm.stdio('gone'), null)
    const errored = once(io.stdin, 'error').then(([e]) => e)
    assert.doesNotThrow(() => io.stdin.write('after\n'))
    const e = await errored
    assert.strictEqual(e.code, 'EPIPE')
    assert.ok(io.stdin.destroyed)
    // Another pair, written after stop() with no 'error' listener of the app's: no crash.
    await pm.start({ name: 'gone2', script: CAT, stdio: 'pipe' })
    const io2 = pm.stdio('gone2')
    io2.stdout.resume()
    await pm.stop('gone2')
    let cbError = null
    io2.stdin.write('after\n', (e) => { cbError = e })
    await new Promise((resolve) => io2.stdin.on('close', resolve))
    assert.strictEqual(cbError && cbError.code, 'EPIPE')
    assert.ok(io2.stdin.errored && io2.stdin.errored.code === 'EPIPE', String(io2.stdin.errored))
    // end() after stop(): no throw either.
    assert.doesNotThrow(() => io2.stdin.end())
    await sleep(0)
    assert.deepStrictEqual(uncaught, [])
  } finally {
    process.off('uncaughtException', onUncaught)
  }
})
