'use strict'
// Issue 20: a real MCP server from the npm registry (@modelcontextprotocol/server-everything, on
// this test's own Node 20 through `interpreter`) as a piped service, driven by the official MCP
// TypeScript SDK's Client through a small Transport over pm.stdio() (./mcp-transport.js):
// initialize, tools/list, tools/call; then the server is SIGKILLed, pm starts it again, the app
// attaches a new Client in its 'start' listener, and a new initialize and tools/call succeed.
// The server's stderr lines are in the log file; none of its JSON-RPC is.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { Client } = require('@modelcontextprotocol/sdk/client')
const pm = require('..')
const { PmTransport } = require('./mcp-transport')
const { tmpdir, waitFor } = require('./helpers')

const SERVER = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js')
const out = tmpdir('mcp')

test.afterEach(() => pm.stopall())

test('an MCP server under pm: initialize, tools/list, tools/call; SIGKILL, restart, a new Client on start; stderr in the log', { timeout: 120000 }, async () => {
  const log = path.join(out, 'everything.log')
  const sessions = []
  // The app's side: on every start of the server, a Client over the new process's stdin and
  // stdout, attached at once.
  const onStart = (e) => {
    if (e.name !== 'everything') return
    const io = pm.stdio('everything')
    const client = new Client({ name: 'elife-pm-test', version: '1.0.0' })
    const s = { pid: e.pid, io, client, closed: false }
    client.onclose = () => { s.closed = true }
    s.connected = client.connect(new PmTransport(io)) // initialize, then initialized
    s.connected.catch(() => {})
    sessions.push(s)
  }
  pm.on('start', onStart)
  try {
    const info = await pm.start({
      name: 'everything',
      script: SERVER,
      args: ['stdio'],
      interpreter: process.execPath,
      stdio: 'pipe',
      log
    })
    await waitFor('the first session', () => sessions.length === 1)
    const a = sessions[0]
    assert.strictEqual(a.pid, info.pid)
    assert.strictEqual(a.io.pid, info.pid)
    await a.connected
    assert.strictEqual(a.client.getServerVersion().name, 'mcp-servers/everything')
    assert.ok(a.client.getServerCapabilities().tools, 'it offers tools')
    const { tools } = await a.client.listTools()
    const names = tools.map((t) => t.name)
    assert.ok(names.includes('echo') && names.includes('get-sum'), names.join(', '))
    const echo = await a.client.callTool({ name: 'echo', arguments: { message: 'hello through pm' } })
    assert.deepStrictEqual(echo.content, [{ type: 'text', text: 'Echo: hello through pm' }])
    const sum = await a.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } })
    assert.strictEqual(sum.content[0].text, 'The sum of 2 and 40 is 42.')

    // The server is killed outright: pm starts it again, and the app attaches anew.
    process.kill(a.pid, 'SIGKILL')
    await waitFor('the second session', () => sessions.length === 2, 30000)
    const b = sessions[1]
    assert.notStrictEqual(b.pid, a.pid)
    assert.notStrictEqual(b.io, a.io)
    await waitFor('the old session closed', () => a.closed)
    await assert.rejects(a.client.callTool({ name: 'echo', arguments: { message: 'to the dead' } }))
    await b.connected // a new initialize, with the new process
    assert.strictEqual(b.client.getServerVersion().name, 'mcp-servers/everything')
    const again = await b.client.callTool({ name: 'echo', arguments: { message: 'after the restart' } })
    assert.deepStrictEqual(again.content, [{ type: 'text', text: 'Echo: after the restart' }])
    const [now] = pm.list().filter((p) => p.name === 'everything')
    assert.strictEqual(now.pid, b.pid)
    assert.strictEqual(now.restarts, 1)

    await b.client.close()
    await pm.stop('everything')
    // stderr, line by line in the log, one start line per process; stdout (JSON-RPC) is the
    // app's alone.
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
