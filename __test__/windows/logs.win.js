'use strict'
// Logs as whole lines under Windows node.exe (Wine): several services share one file, stdout
// and stderr both reach it marked, rotation renames the open file without losing a line, and
// what a service prints while it stops is in the file when stop() resolves.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const pm = require('../..')
const { FIXTURES, tmpdir, waitFor, readLines, startReady } = require('./helpers')

const PRINTER = path.join(FIXTURES, 'printer.js')
const SERVICE = path.join(FIXTURES, 'service.js')
const out = tmpdir('winlogs')
const TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+)\[(\d+)\] (out|err): (.*)$/

test.afterEach(() => pm.stopall())

async function runToEnd (options) {
  const info = await pm.start(Object.assign({ script: PRINTER, restartAt: [] }, options))
  await waitFor('exit of ' + info.pid, () => {
    const p = pm.list().find((x) => x.id === info.id)
    return p && (p.state === 'stopped' || p.state === 'errored')
  }, 60000)
  await pm.stop(options.name)
  return info
}

test('many writers share one file: no torn or mixed lines, each keeps its order', async () => {
  const log = path.join(out, 'shared.log')
  const N = 5000
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

test('stdout and stderr of two services reach one log as whole, marked lines', async () => {
  const log = path.join(out, 'both.log')
  const started = await Promise.all(['x', 'y'].map((name) =>
    pm.start({ name, script: SERVICE, log, restartAt: [], env: { OUT: out, TAG: name, LINES: '3', EXIT_AFTER: '300', EXIT_CODE: '0' } })))
  await waitFor('both ended', () => pm.list().every((p) => p.state === 'stopped'), 15000)
  await pm.stopall()
  const lines = readLines(log)
  for (const [i, name] of ['x', 'y'].entries()) {
    const mine = lines.map((l) => l.match(TEXT)).filter((m) => m && m[2] === name)
    assert.ok(mine.every((m) => m[3] === String(started[i].pid)))
    const texts = mine.map((m) => m[4] + ' ' + m[5])
    assert.deepStrictEqual(texts.filter((t) => t.startsWith('out')), ['out line 0', 'out line 1', 'out line 2', 'out last without newline'])
    assert.deepStrictEqual(texts.filter((t) => t.startsWith('err')), ['err to stderr'])
  }
  assert.ok(lines.every((l) => TEXT.test(l)), lines.join('\n'))
})

test('rotation renames the open file, keeps lines whole, loses none', async () => {
  const log = path.join(out, 'rot', 'r.log')
  const N = 4000
  await runToEnd({ name: 'rot', args: ['flood', String(N), 'rot'], log, logMaxSize: 64 * 1024, logKeep: 100 })
  const files = fs.readdirSync(path.dirname(log))
  assert.ok(files.length > 3, `rotated into ${files}`)
  const order = (f) => (f === 'r.log' ? 0 : Number(f.split('.').pop()))
  const all = files.sort((a, b) => order(b) - order(a)).flatMap((f) => readLines(path.join(path.dirname(log), f)))
  assert.strictEqual(all.length, N)
  all.forEach((line, i) => assert.strictEqual(Number(line.match(TEXT)[5].split(' ')[1]), i))
})

test('everything printed during a stop is in the file when stop() resolves', async () => {
  const log = path.join(out, 'burst.log')
  await startReady(pm, { name: 'burst', script: path.join(__dirname, 'fixtures', 'burst.js'), args: ['2000'], log, stopTimeout: 10000 })
  await pm.stop('burst')
  const lines = readLines(log)
  assert.strictEqual(lines.length, 2000)
  assert.ok(lines[1999].endsWith('out: burst 1999'), lines[1999])
})
