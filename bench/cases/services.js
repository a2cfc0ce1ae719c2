'use strict'
// Cases 2 (start 50), 3 (stopall of 50) and 5 (main-process memory per service), on idle services.
const net = require('net')
const path = require('path')
const u = require('../lib/util')
const peers = require('../lib/peers')

const IDLE = path.join(u.FIXTURES, 'idle.js')
const N = 50

// Every idle service connects here once its code runs: "all running" as the services see it.
function readyServer (dir) {
  // A Unix socket; on Windows a named pipe (net takes both as a path).
  const sock = process.platform === 'win32' ? `\\\\.\\pipe\\elife-pm-bench-${process.pid}-${Date.now()}` : path.join(dir, 'ready.sock')
  const seen = new Set()
  let want = Infinity; let onAll = null; let tAll = null
  const server = net.createServer((c) => {
    let buf = ''
    c.on('data', (d) => { buf += d })
    c.on('end', () => {
      seen.add(buf.trim())
      if (seen.size >= want && tAll === null) { tAll = u.now(); onAll && onAll(tAll) }
    })
    c.on('error', () => {})
  })
  return new Promise((resolve) => server.listen(sock, () => resolve({
    sock,
    all (n) {
      want = n
      if (seen.size >= n) return Promise.resolve(tAll === null ? (tAll = u.now()) : tAll)
      return new Promise((resolve) => { onAll = resolve })
    },
    close: () => server.close()
  })))
}

function specs (ready) {
  return Array.from({ length: N }, (_, i) => ({ name: 'svc' + i, script: IDLE, args: ready ? [ready.sock, String(i)] : [] }))
}

async function withServices (peerName, ctx, body) {
  const peer = peers.make(peerName)
  const notes = []
  let pids = []
  try {
    const r = await body(peer, (p) => { pids = p })
    if (peer.errors.length) notes.push('error events: ' + peer.errors.slice(0, 3).join('; '))
    r.notes = (r.notes || []).concat(notes)
    return r
  } finally {
    // Untimed cleanup; whatever outlives the peer's own stop is killed and reported.
    if (pids.length) {
      try { await peer.stopAll() } catch (e) {}
      try { await u.whenAllDead(pids, 5000) } catch (e) {}
      const left = u.killLeftovers(pids)
      if (left.length) throw new Error(`${left.length} services outlived the peer's stop and were killed`)
    }
  }
}

async function start (peerName, ctx) {
  const ready = await readyServer(ctx.dir)
  try {
    return await withServices(peerName, ctx, async (peer, setPids) => {
      const allReady = ready.all(N)
      const el = u.eventLoopMonitor()
      const t0 = u.now()
      const pids = await peer.start(specs(ready))
      const tApi = u.now() - t0
      setPids(pids)
      const tReady = (await Promise.race([allReady, u.sleep(30000).then(() => { throw new Error('services did not all report running within 30 s') })])) - t0
      return { tApi, tReady, loop: el.stop() }
    })
  } finally {
    ready.close()
  }
}

async function stop (peerName, ctx) {
  const ready = await readyServer(ctx.dir)
  try {
    return await withServices(peerName, ctx, async (peer, setPids) => {
      const allReady = ready.all(N)
      const pids = await peer.start(specs(ready))
      setPids(pids)
      await Promise.race([allReady, u.sleep(30000).then(() => { throw new Error('services did not all report running within 30 s') })])
      await u.sleep(500)
      const t0 = u.now()
      const gone = u.whenAllDead(pids, 20000)
      await peer.stopAll()
      const tApi = u.now() - t0
      const tGone = (await gone) - t0
      return { tApi, tGone }
    })
  } finally {
    ready.close()
  }
}

async function memory (peerName, ctx) {
  return withServices(peerName, ctx, async (peer, setPids) => {
    u.gc(); await u.sleep(500); u.gc()
    const m0 = process.memoryUsage()
    const pids = await peer.start(specs(null))
    setPids(pids)
    await u.sleep(1500)
    u.gc()
    const m1 = process.memoryUsage()
    return {
      rss0: m0.rss,
      rss1: m1.rss,
      perService: (m1.rss - m0.rss) / N,
      heapPerService: (m1.heapUsed + m1.external - m0.heapUsed - m0.external) / N,
      gc: typeof global.gc === 'function'
    }
  })
}

module.exports = { start, stop, memory, readyServer, N, labels: peers.labels }
