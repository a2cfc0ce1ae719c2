'use strict'
// Issue 20 under Windows node.exe 20 (Wine): services that talk over stdio. The MCP round trip of
// ../mcp.test.js (@modelcontextprotocol/server-everything on this node.exe through `interpreter`,
// the SDK's Client over pm.stdio(): initialize, tools/list, tools/call; killed outright, restarted,
// a new Client attached in the 'start' listener, a new initialize and tools/call; stderr in the
// log); random bytes echoed both ways through a Node service with its IPC channel beside the
// pipes; a new pair per process, the old stdout's 'end', and an error on the old stdin, never a
// throw.

const test = require('node:test')
const assert = require('node:assert')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { once } = require('node:events')
const { Client } = require('@modelcontextprotocol/sdk/client')
const pm = require('../..')
const { PmTransport } = require('../mcp-transport')
const { FIXTURES, tmpdir, waitFor, readText } = require('./helpers')

assert.strictEqual(process.platform, 'win32', 'this suite runs in Windows node.exe')

const S = path.join(FIXTURES, 'stdio')
const SERVER = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js')
const MiB = 1024 * 1024
const out = tmpdir('winstdio')

test.afterEach(async () => {
  await pm.stopall()
})

test('an MCP server under pm: initialize, tools/list, tools/call; killed, restarted, a new Client on start; stderr in the log', { timeout: 300000 }, async () => {
  const log = path.join(out, 'everything.log')
  const sessions = []
  const onStart = (e) => {
    if (e.name !== 'everything') return
    const io = pm.stdio('everything')
    const client = new Client({ name: 'elife-pm-test', version: '1.0.0' })
    const s = { pid: e.pid, io, client, closed: false }
    client.onclose = () => { s.closed = true }
    s.connected = client.connect(new PmTransport(io))
    s.connected.catch(() => {})
    sessions.push(s)
  }
  pm.on('start', onStart)
  try {
    const info = await pm.start({ name: 'everything', script: SERVER, args: ['stdio'], interpreter: process.execPath, stdio: 'pipe', log })
    await waitFor('the first session', () => sessions.length === 1)
    const a = sessions[0]
    assert.strictEqual(a.pid, info.pid)
    await a.connected
    assert.strictEqual(a.client.getServerVersion().name, 'mcp-servers/everything')
    const names = (await a.client.listTools()).tools.map((t) => t.name)
    assert.ok(names.includes('echo') && names.includes('get-sum'), names.join(', '))
    const echo = await a.client.callTool({ name: 'echo', arguments: { message: 'hello through pm' } })
    assert.deepStrictEqual(echo.content, [{ type: 'text', text: 'Echo: hello through pm' }])
    const sum = await a.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } })
    assert.strictEqual(sum.content[0].text, 'The sum of 2 and 40 is 42.')

    process.kill(a.pid, 'SIGKILL') // TerminateProcess
    await waitFor('the second session', () => sessions.length === 2, 60000)
    const b = sessions[1]
    assert.notStrictEqual(b.pid, a.pid)
    assert.notStrictEqual(b.io, a.io)
    await waitFor('the old session closed', () => a.closed, 30000)
    await b.connected
    const again = await b.client.callTool({ name: 'echo', arguments: { message: 'after the restart' } })
    assert.deepStrictEqual(again.content, [{ type: 'text', text: 'Echo: after the restart' }])
    assert.strictEqual(pm.list().find((p) => p.name === 'everything').restarts, 1)

    await b.client.close()
    await pm.stop('everything')
    const logged = fs.readFileSync(log, 'utf8')
    for (const p of [a.pid, b.pid]) {
      assert.match(logged, new RegExp(`everything\\[${p}\\] err: Starting default \\(STDIO\\) server\\.\\.\\.`), logged)
    }
    assert.doesNotMatch(logged, /jsonrpc/)
  } finally {
    pm.off('start', onStart)
    for (const s of sessions) await s.client.close().catch(() => {})
  }
})

test('bytes echoed both ways through a Node service, byte for byte, with its IPC channel beside the pipes; stderr logged, stdout not', { timeout: 120000 }, async () => {
  const log = path.join(out, 'hold.log')
  const got = []
  const onMessage = (e) => got.push(e)
  pm.on('message', onMessage)
  try {
    const info = await pm.start({ name: 'hold', script: path.join(S, 'hold.js'), stdio: 'pipe', log })
    await waitFor('hello', () => got.find((e) => e.pid === info.pid && e.message.hello === 'ready'))
    const io = pm.stdio('hold')
    assert.strictEqual(io.pid, info.pid)
    const data = crypto.randomBytes(4 * MiB)
    const chunks = []
    let bytes = 0
    io.stdout.on('data', (c) => { chunks.push(c); bytes += c.length })
    pm.send('hold', { read: 'echo' })
    for (let off = 0; off < data.length; off += 256 * 1024) {
      if (!io.stdin.write(data.subarray(off, off + 256 * 1024))) await once(io.stdin, 'drain')
    }
    pm.send('hold', { ping: 'mid-way' })
    io.stdin.end()
    const report = await waitFor('the count', () => got.find((e) => e.pid === info.pid && e.message.bytes !== undefined), 60000)
    assert.strictEqual(report.message.bytes, data.length)
    assert.strictEqual(report.message.sha256, crypto.createHash('sha256').update(data).digest('hex'))
    assert.ok(got.find((e) => e.pid === info.pid && e.message.pong === 'mid-way'), 'a message answered while bytes flowed')
    await waitFor('the echo', () => bytes >= data.length, 60000)
    assert.ok(Buffer.concat(chunks).equals(data), 'echoed byte for byte')
    await waitFor('the stderr lines in the log', () => (readText(log) || '').includes(`hold.js read ${data.length} bytes`))
    const logged = readText(log)
    assert.ok(logged.includes(`hold.js ${info.pid} up`), logged)
    assert.strictEqual(logged.split('\n').filter(Boolean).length, 2, 'stderr only:\n' + logged.slice(0, 2000))
  } finally {
    pm.off('message', onMessage)
  }
})

test("a new pair per process: the killed one's stdout gives every byte then 'end'; its stdin errors on the stream; write after stop() too", { timeout: 120000 }, async () => {
  const LINES = 5000
  const expected = Array.from({ length: LINES }, (_, i) => (i + 1) + '\n').join('')
  const got = []
  const onMessage = (e) => got.push(e)
  const pairs = []
  const onStart = (e) => {
    if (e.name !== 'seq') return
    const p = { pid: e.pid, io: pm.stdio('seq'), text: '', ended: false }
    p.io.stdout.setEncoding('utf8')
    p.io.stdout.on('data', (s) => { p.text += s })
    p.io.stdout.on('end', () => { p.ended = true })
    pairs.push(p)
  }
  pm.on('message', onMessage)
  pm.on('start', onStart)
  try {
    await pm.start({ name: 'seq', script: path.join(S, 'seq.js'), stdio: 'pipe', log: path.join(out, 'seq.log'), env: { LINES: String(LINES) } })
    await waitFor('the first start', () => pairs.length === 1)
    const a = pairs[0]
    await waitFor('the first lines', () => a.text.length >= expected.length, 30000)
    assert.strictEqual(a.text, expected)
    process.kill(a.pid, 'SIGKILL')
    await waitFor('the second start', () => pairs.length === 2, 60000)
    const b = pairs[1]
    assert.notStrictEqual(b.io, a.io)
    await waitFor("the old stdout's end", () => a.ended, 30000)
    const errored = once(a.io.stdin, 'error').then(([e]) => e)
    assert.doesNotThrow(() => a.io.stdin.write('to the dead\n'))
    const e = await errored
    assert.strictEqual(e.code, 'EPIPE', e.message)
    await waitFor('the new lines', () => b.text.length >= expected.length, 30000)
    assert.strictEqual(b.text, expected, 'no byte of the new process missed')
    b.io.stdin.write('hello, second\n')
    await waitFor('the echo', () => b.text.endsWith('hello, second\n'), 30000)
    await pm.stop('seq')
    await waitFor("the new stdout's end", () => b.ended, 30000)
    assert.strictEqual(pm.stdio('seq'), null)
    const afterStop = once(b.io.stdin, 'error').then(([x]) => x)
    assert.doesNotThrow(() => b.io.stdin.write('after stop\n'))
    const e2 = await afterStop
    assert.strictEqual(e2.code, 'EPIPE', e2.message)
  } finally {
    pm.off('message', onMessage)
    pm.off('start', onStart)
  }
})
