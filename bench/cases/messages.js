'use strict'
// Case 9, a Node service flooding `process.send` (the IPC channel beside the logs): `count`
// small messages `{ i }` sent in a tight loop, with elife/pm (`pm.on('message')`) and with
// Node's own `child_process.fork` (`child.on('message')`), the same script on the same Node.
// pm reads a service's channel no faster than JS takes the messages (at most
// MAX_PENDING_MESSAGES in flight, src/service/context.rs); Node's fork reads all it can.
// Wall: the spawn called (pm already loaded) → the last message taken; every message is checked to come once
// and in order. Event loop: the main process's delay (1 ms resolution) over that time. Memory:
// the main process's RSS, sampled every 10 ms, peak minus the reading before the spawn.
const { fork } = require('child_process')
const path = require('path')
const u = require('../lib/util')

const peers = {
  node: { label: 'Node child_process.fork, child.on(\'message\')' },
  pm: { label: 'elife/pm, pm.on(\'message\')' }
}

function script (dir, count) {
  const file = path.join(dir, 'sender.js')
  u.fs.writeFileSync(file, `
    for (let i = 0; i < ${count} - 1; i++) process.send({ i })
    process.send({ i: ${count} - 1 }, () => process.exit(0))
  `)
  return file
}

async function run (peer, ctx) {
  if (!peers[peer]) throw new Error('unknown peer ' + peer)
  const count = ctx.count
  const file = script(ctx.dir, count)
  // pm is loaded before anything is timed: Node's fork is loaded with Node.
  const pm = peer === 'pm' ? u.loadPm() : null
  u.gc()
  const base = process.memoryUsage().rss
  let peak = base
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 10)
  let received = 0
  let outOfOrder = 0
  let done
  const all = new Promise((resolve) => { done = resolve })
  const take = (m) => {
    if (m.i !== received) outOfOrder++
    if (++received === count) done()
  }
  const el = u.eventLoopMonitor()
  const c0 = u.cpu()
  const t0 = u.now()
  let stop
  if (peer === 'node') {
    const child = fork(file, [], { stdio: 'ignore' })
    child.on('message', take)
    stop = () => new Promise((resolve) => child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve))
  } else {
    pm.on('message', (e) => take(e.message))
    await pm.start({ name: 'sender', script: file, restart: 'never' })
    stop = () => pm.stopall()
  }
  try {
    await all
    const wall = u.now() - t0
    const loop = el.stop()
    const cpu = u.cpuSince(c0)
    clearInterval(sampler)
    return {
      count,
      received,
      outOfOrder,
      wall,
      perSec: count / (wall / 1000),
      loop,
      loopP99: loop.p99,
      cpu,
      grewMiB: u.mib(peak - base)
    }
  } finally {
    clearInterval(sampler)
    await stop()
  }
}

module.exports = { run, peers }
