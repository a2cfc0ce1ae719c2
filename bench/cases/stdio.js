'use strict'
// Case 7, a service's stdin and stdout in the app's hands (issue 20): `size` bytes through a
// piped `cat`, with elife/pm (`stdio: 'pipe'`, `pm.stdio()`) and with Node's own
// `child_process.spawn` pipes, three ways:
//   out   service → app: `cat <file of size bytes>`, the app reads its stdout to the end
//   in    app → service: the app writes into `sh -c 'exec cat > /dev/null'` and ends its stdin
//   both  app → cat → app: the app writes and reads at once
// The app writes 64 KiB Buffers (the same one each time: no cost of making data), waiting for
// 'drain' whenever write() returns false, and counts what it reads ('data' events). Wall time
// from the first write (or, for `out`, from the spawn resolving) to the stdout's 'end'; the
// main event loop's delay (1 ms resolution) over that time; CPU of the JS thread and of the
// whole process. Every byte is counted; the bytes themselves are checked by the tests
// (__test__/stdio.test.js), not here.
const { spawn } = require('child_process')
const path = require('path')
const { once } = require('events')
const u = require('../lib/util')

const CHUNK = 64 * 1024
const WAYS = {
  out: 'service → app (`cat file`)',
  in: 'app → service (`cat > /dev/null`)',
  both: 'both ways (app → `cat` → app)'
}
const HOW = {
  node: 'Node child_process.spawn pipes',
  pm: "elife/pm, stdio: 'pipe'"
}

/** The peers of the case: `<how>:<way>`. */
const peers = {}
for (const way of Object.keys(WAYS)) for (const how of Object.keys(HOW)) peers[how + ':' + way] = { label: `${WAYS[way]}: ${HOW[how]}`, how, way }

function command (way, file) {
  if (way === 'out') return ['/bin/cat', [file]]
  if (way === 'in') return ['/bin/sh', ['-c', 'exec cat > /dev/null']]
  return ['/bin/cat', []]
}

/** A running cat with the app's ends of its stdin and stdout, and how to make sure it ends. */
async function startNode (way, file) {
  const [prog, args] = command(way, file)
  const c = spawn(prog, args, { stdio: ['pipe', 'pipe', 'ignore'] })
  await once(c, 'spawn')
  return { pid: c.pid, stdin: c.stdin, stdout: c.stdout, kill: () => c.kill('SIGKILL') }
}

async function startPm (way, file) {
  const pm = u.loadPm()
  const [prog, args] = command(way, file)
  const info = await pm.start({ name: 'cat', script: prog, args, stdio: 'pipe', restart: 'never' })
  const io = pm.stdio('cat')
  return { pid: info.pid, stdin: io.stdin, stdout: io.stdout, kill: () => pm.stopall() }
}

async function run (name, ctx) {
  const p = peers[name]
  if (!p) throw new Error('unknown peer ' + name)
  const size = ctx.size
  const buf = Buffer.alloc(CHUNK)
  for (let i = 0; i < CHUNK; i++) buf[i] = (i * 7 + 13) & 0xff
  let file = null
  if (p.way === 'out') {
    file = path.join(ctx.dir, 'data')
    const fd = u.fs.openSync(file, 'w')
    for (let n = 0; n < size; n += CHUNK) u.fs.writeSync(fd, buf)
    u.fs.closeSync(fd)
  }
  u.gc()
  const child = await (p.how === 'pm' ? startPm : startNode)(p.way, file)
  try {
    let read = 0
    let chunks = 0
    child.stdout.on('data', (c) => { read += c.length; chunks++ })
    const ended = once(child.stdout, 'end')
    const el = u.eventLoopMonitor()
    const c0 = u.cpu()
    const t0 = u.now()
    let falses = 0
    if (p.way !== 'out') {
      for (let sent = 0; sent < size; sent += CHUNK) {
        if (!child.stdin.write(buf)) {
          falses++
          await once(child.stdin, 'drain')
        }
      }
    }
    child.stdin.end()
    await ended
    const wall = u.now() - t0
    const loop = el.stop()
    const cpu = u.cpuSince(c0)
    const expected = p.way === 'in' ? 0 : size
    if (read !== expected) throw new Error(`read ${read} bytes, expected ${expected}`)
    return {
      way: p.way,
      how: p.how,
      size,
      wall,
      mbps: size / 1e6 / (wall / 1000),
      loop,
      cpu,
      chunks,
      avgChunk: chunks ? read / chunks : null,
      falses,
      rss: u.peakRss()
    }
  } finally {
    await child.kill()
  }
}

module.exports = { run, peers, WAYS, HOW }
