'use strict'
// Logs as whole lines: shared files with many writers, order, the last partial line, stderr
// marking, JSON lines, stripANSI, a 64 MiB line, rotation without loss, an unwritable path,
// latency, and 'log' events.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const pm = require('..')
const { FIXTURES, ROOT, tmpdir, sleep, waitFor, readLines } = require('./helpers')

const PRINTER = path.join(FIXTURES, 'printer.js')
const out = tmpdir('logs')
const TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+)\[(\d+)\] (out|err): (.*)$/

test.afterEach(() => pm.stopall())

async function runToEnd (options) {
  const info = await pm.start(Object.assign({ script: PRINTER, restartAt: [] }, options))
  await waitFor('exit of ' + info.pid, () => {
    const p = pm.list().find((x) => x.id === info.id)
    return p && (p.state === 'stopped' || p.state === 'errored')
  }, 60000)
  // Stopping a finished process resolves once its output is written.
  await pm.stop(options.name)
  return info
}

test('many writers share one file: no torn or mixed lines, each keeps its order', async () => {
  const log = path.join(out, 'shared.log')
  const N = 20000
  await Promise.all(['w1', 'w2', 'w3', 'w4'].map((id) => runToEnd({ name: id, args: ['flood', String(N), id], log })))
  const lines = readLines(log)
  assert.strictEqual(lines.length, 4 * N)
  const next = { w1: 0, w2: 0, w3: 0, w4: 0 }
  for (const line of lines) {
    const m = line.match(TEXT)
    assert.ok(m, 'a torn line: ' + line.slice(0, 120))
    const [id, seq, pad] = m[5].split(' ')
    assert.strictEqual(m[2], id, 'a line under another process name')
    assert.strictEqual(Number(seq), next[id]++, `${id} out of order`)
    assert.strictEqual(pad, 'p'.repeat(80))
  }
  assert.deepStrictEqual(next, { w1: N, w2: N, w3: N, w4: N })
})

test('the name is the script file name when none is given; relative paths use the main cwd', async () => {
  const rel = path.relative(process.cwd(), path.join(out, 'nested', 'dir', 'unnamed.log'))
  const info = await pm.start({ script: PRINTER, args: ['ansi'], restartAt: [], log: rel })
  await waitFor('end', () => pm.list().find((p) => p.id === info.id).state === 'stopped')
  await pm.stopall()
  const lines = readLines(path.join(out, 'nested', 'dir', 'unnamed.log'))
  assert.ok(lines.length >= 2)
  assert.ok(lines.every((l) => l.match(TEXT)[2] === 'printer.js'), lines.join('\n'))
})

test('stripANSI removes escape codes; stderr is marked err', async () => {
  const log = path.join(out, 'ansi.log')
  await runToEnd({ name: 'ansi', args: ['ansi'], log, stripANSI: true })
  const got = readLines(log).map((l) => l.match(TEXT)).map((m) => m[4] + ' ' + m[5]).sort()
  assert.deepStrictEqual(got, ['err cleared', 'out red and bold green'])
  const raw = path.join(out, 'ansi-raw.log')
  await runToEnd({ name: 'ansi', args: ['ansi'], log: raw })
  assert.ok(fs.readFileSync(raw, 'utf8').includes('\x1b[31m'), 'escape codes stay without stripANSI')
})

test('logFormat json writes one object per line', async () => {
  const log = path.join(out, 'json.log')
  const info = await runToEnd({ name: 'json', args: ['ansi'], log, logFormat: 'json' })
  const objs = readLines(log).map((l) => JSON.parse(l))
  assert.strictEqual(objs.length, 2)
  for (const o of objs) {
    assert.deepStrictEqual(Object.keys(o), ['time', 'name', 'pid', 'stream', 'line'])
    assert.strictEqual(o.name, 'json')
    assert.strictEqual(o.pid, info.pid)
    assert.ok(!Number.isNaN(Date.parse(o.time)))
  }
  assert.deepStrictEqual(objs.map((o) => o.stream).sort(), ['err', 'out'])
  assert.ok(objs.find((o) => o.stream === 'out').line.includes('\x1b[31mred'))
})

test('a 64 MiB line without a newline is written in 64 KiB pieces, not held in memory', async () => {
  const log = path.join(out, 'big.log')
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 5)
  await runToEnd({ name: 'big', args: ['bigline', '64'], log, logMaxSize: 0 })
  clearInterval(sampler)
  const lines = readLines(log)
  assert.strictEqual(lines.length, 1024)
  for (const l of lines) {
    const m = l.match(TEXT)
    assert.ok(m && m[5].length === 65536 && /^x+$/.test(m[5]))
  }
  const grew = (peak - before) / 1048576
  assert.ok(grew < 40, `the main process grew by ${grew.toFixed(1)} MiB while a 64 MiB line went through`)
})

test('rotation renames files, keeps lines whole, loses none', async () => {
  const log = path.join(out, 'rot', 'r.log')
  const N = 20000
  await runToEnd({ name: 'rot', args: ['flood', String(N), 'r'], log, logMaxSize: 200000, logKeep: 50 })
  const files = fs.readdirSync(path.dirname(log)).sort((x, y) => (Number(y.split('.')[2]) || 0) - (Number(x.split('.')[2]) || 0))
  assert.ok(files.length > 5, 'several rotations happened: ' + files.join(' '))
  let seq = 0
  for (const f of files) {
    const text = fs.readFileSync(path.join(path.dirname(log), f), 'utf8')
    assert.ok(text.length <= 200000, `${f} has ${text.length} bytes`)
    assert.ok(text === '' || text.endsWith('\n'), `${f} ends inside a line`)
    for (const l of text.split('\n').filter(Boolean)) {
      assert.strictEqual(Number(l.match(TEXT)[5].split(' ')[1]), seq++, `${f}: a line missing or out of order`)
    }
  }
  assert.strictEqual(seq, N)

  const kept = path.join(out, 'rot2', 'k.log')
  await runToEnd({ name: 'rot2', args: ['flood', String(N), 'k'], log: kept, logMaxSize: 100000, logKeep: 2 })
  assert.deepStrictEqual(fs.readdirSync(path.dirname(kept)).sort(), ['k.log', 'k.log.1', 'k.log.2'])
  const newest = readLines(kept)
  assert.strictEqual(Number(newest[newest.length - 1].match(TEXT)[5].split(' ')[1]), N - 1)
})

test('everything printed during a stop is in the file when stop() resolves', async () => {
  const log = path.join(out, 'burst.log')
  await pm.start({ name: 'burst', script: PRINTER, args: ['stopburst', '5000'], log, stopTimeout: 5000 })
  await sleep(300)
  await pm.stop('burst')
  const lines = readLines(log)
  assert.strictEqual(lines.length, 5000)
  assert.ok(lines[4999].endsWith('out: burst 4999'))
})

test('a lone line from a quiet service reaches the file promptly', async () => {
  const log = path.join(out, 'lone.log')
  await pm.start({ name: 'lone', script: PRINTER, args: ['lone'], log })
  const line = await waitFor('the line', () => readLines(log)[0], 5000)
  const seenAt = Date.now()
  const printedAt = Number(line.match(TEXT)[5].split(' ')[1])
  const latency = seenAt - printedAt
  // A writer that held lines until its buffer filled would never show it (waitFor fails).
  assert.ok(latency < 2000, `took ${latency} ms`)
})

test("'log' events arrive in batches only while someone listens", async () => {
  const batches = []
  const listener = (b) => batches.push(b)
  pm.on('log', listener)
  await runToEnd({ name: 'tap', args: ['flood', '3000', 't'] , log: path.join(out, 'tap.log') })
  await sleep(250)
  pm.off('log', listener)
  const lines = batches.flatMap((b) => b.lines).filter((l) => l.name === 'tap')
  assert.strictEqual(lines.length + batches.reduce((n, b) => n + b.dropped, 0), 3000)
  assert.ok(batches.length < 100, `${batches.length} batches for 3000 lines`)
  assert.deepStrictEqual(Object.keys(lines[0]).sort(), ['id', 'name', 'pid', 'stream', 'text', 'time'])
  assert.strictEqual(lines[0].text, 't 0 ' + 'p'.repeat(80))
  const count = batches.length
  await runToEnd({ name: 'tap2', args: ['flood', '100', 'u'] , log: path.join(out, 'tap2.log') })
  await sleep(250)
  assert.strictEqual(batches.length, count, 'no events after the last listener left')
})

// In a child main process, to see its stdout and stderr.
function mainWith (code) {
  const r = spawnSync(process.execPath, ['-e', `const pm = require(${JSON.stringify(ROOT)}); ${code}`], { encoding: 'utf8', timeout: 20000 })
  return r
}

test('without log, lines go to the main process stdout and stderr with the same prefix', () => {
  const r = mainWith(`pm.start({ name: 'tostd', script: ${JSON.stringify(PRINTER)}, args: ['ansi'], restartAt: [] })`)
  assert.strictEqual(r.status, 0, r.stderr)
  assert.match(r.stdout, /^\S+Z tostd\[\d+\] out: \x1b\[31mred/m)
  assert.match(r.stderr, /^\S+Z tostd\[\d+\] err: .*cleared$/m)
})

test('an unwritable log path is a clear error; the service still runs and logs to stderr', () => {
  const r = mainWith(`
    pm.on('error', (e) => console.log('ERROR ' + e.name + ': ' + e.message))
    pm.start({ name: 'nolog', script: ${JSON.stringify(PRINTER)}, args: ['ansi'], restartAt: [], log: '/proc/elife-pm-test/x.log' })
      .then((info) => console.log('STATE ' + info.state))`)
  assert.strictEqual(r.status, 0, r.stderr)
  assert.match(r.stdout, /ERROR nolog: cannot write log file \/proc\/elife-pm-test\/x\.log/)
  assert.match(r.stdout, /STATE running/)
  assert.match(r.stderr, /nolog\[\d+\] out: .*red/)
  assert.match(r.stderr, /nolog\[\d+\] err: .*cleared/)
  const unheard = mainWith(`pm.start({ script: ${JSON.stringify(PRINTER)}, args: ['ansi'], restartAt: [], log: '/proc/elife-pm-test/x.log' })`)
  assert.match(unheard.stderr, /Warning: elife\/pm: .*cannot write log file/, 'an unheard error still shows')
})
