'use strict'
// Case 4, first-crash restart latency: a service that crashes 100 ms after its first start and then
// stays up. Measured two ways, repeated with a fresh service each time:
//   event: the main process's exit notice → its "new process started" notice
//   child: the crashing child's last timestamp → the new child's first timestamp (includes Node's
//          own boot, the same for every peer)
const path = require('path')
const { spawn } = require('child_process')
const u = require('../lib/util')

const CRASH = path.join(u.FIXTURES, 'crash-once.js')
const PM2_D0 = [0, 100, 500, 1000, 30 * 1000, 60 * 1000, 5 * 60 * 1000, 15 * 60 * 1000]

const peers = {
  node: { label: 'Node child_process, respawn on exit (naive)', delay: 'none', once: nodeOnce },
  pm2: { label: '@elife/pm2 3.6.1 (default restartAt)', delay: '100 ms', once: (ctx, i) => pm2Once(ctx, i, undefined) },
  'pm2-d0': { label: '@elife/pm2 3.6.1 (restartAt [0, 100, …])', delay: '0 ms', once: (ctx, i) => pm2Once(ctx, i, PM2_D0) },
  pm: { label: 'elife/pm (default restartAt)', delay: '0 ms', once: pmOnce }
}

function timeout (ms, what) {
  return u.sleep(ms).then(() => { throw new Error(`timed out after ${ms} ms waiting for ${what}`) })
}

async function nodeOnce (ctx, i, files) {
  let stopping = false; let current = null; let tExit = null
  const pids = []
  const restarted = new Promise((resolve, reject) => {
    const launch = () => {
      const c = spawn(process.execPath, [CRASH, files.marker, files.stamps], { stdio: ['ignore', 'pipe', 'pipe'] })
      c.stdout.on('data', () => {}); c.stderr.on('data', () => {})
      current = c
      c.on('error', reject)
      c.on('spawn', () => { pids.push(c.pid); if (tExit !== null) resolve(u.now() - tExit) })
      c.on('exit', (code) => {
        if (stopping || code === 0) return
        tExit = u.now()
        launch()
      })
    }
    launch()
  })
  try {
    const ms = await Promise.race([restarted, timeout(10000, 'the restart')])
    await newChildRan(files.stamps)
    return ms
  } finally {
    stopping = true
    if (current) current.kill()
    await u.whenAllDead(pids, 5000).catch(() => u.killLeftovers(pids))
  }
}

let pm2
async function pm2Once (ctx, i, restartAt) {
  pm2 = pm2 || u.loadPm2()
  const name = 'crash' + i
  const pids = []
  let pi
  const restarted = new Promise((resolve, reject) => {
    pm2.start({ name, script: CRASH, args: [ctx.files.marker, ctx.files.stamps], restartAt }, (err, p) => {
      if (err) return reject(new Error('pm2.start: ' + err))
      pi = p
      pids.push(p.child.pid)
      let tExit = null
      p.on('error', (e) => reject(new Error('pm2 error event: ' + e)))
      p.on('exit', () => { if (tExit === null) tExit = u.now() })
      p.on('restart', () => { pids.push(p.child.pid); resolve(u.now() - tExit) })
    })
  })
  try {
    const ms = await Promise.race([restarted, timeout(10000, 'the restart')])
    await newChildRan(ctx.files.stamps)
    return ms
  } finally {
    pm2.stopByName(name)
    await u.whenAllDead(pids, 5000).catch(() => u.killLeftovers(pids))
  }
}

let pm
async function pmOnce (ctx, i) {
  pm = pm || u.loadPm()
  const name = 'crash' + i
  const pids = []
  let tExit = null
  let onStart, onExit
  const restarted = new Promise((resolve, reject) => {
    onExit = (e) => { if (e.name === name && !e.requested && tExit === null) tExit = u.now() }
    onStart = (e) => { if (e.name !== name) return; pids.push(e.pid); if (tExit !== null) resolve(u.now() - tExit) }
    pm.on('exit', onExit)
    pm.on('start', onStart)
  })
  try {
    const info = await pm.start({ name, script: CRASH, args: [ctx.files.marker, ctx.files.stamps] })
    pids.push(info.pid)
    const ms = await Promise.race([restarted, timeout(10000, 'the restart')])
    await newChildRan(ctx.files.stamps)
    const li = pm.list().find((p) => p.name === name)
    if (li && li.lastExit) ctx.own.push(li.startedAt - li.lastExit.at)
    return ms
  } finally {
    pm.off('exit', onExit); pm.off('start', onStart)
    await pm.stop(name)
    await u.whenAllDead(pids, 5000).catch(() => u.killLeftovers(pids))
  }
}

// The restarted child's first timestamp is on disk (so stopping it now loses nothing).
function newChildRan (stamps) {
  return u.waitFor('the restarted child to run', () => childLatency(stamps) !== null, 5000, 2)
}

function childLatency (stamps) {
  let text = ''
  try { text = u.fs.readFileSync(stamps, 'utf8') } catch (e) { return null }
  const evs = text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l))
  const crash = evs.find((e) => e.ev === 'crash')
  const next = crash && evs.find((e) => e.ev === 'start' && e.pid !== crash.pid)
  return next ? next.t - crash.t : null
}

async function run (peerName, ctx) {
  const peer = peers[peerName]
  if (!peer) throw new Error('unknown peer ' + peerName)
  const event = []; const child = []
  ctx.own = []
  for (let i = 0; i < ctx.repeats; i++) {
    ctx.files = { marker: path.join(ctx.dir, `marker-${i}`), stamps: path.join(ctx.dir, `stamps-${i}.jsonl`) }
    event.push(await peer.once(ctx, i, ctx.files))
    const c = childLatency(ctx.files.stamps)
    if (c !== null) child.push(c)
  }
  const notes = []
  const sorted = (a) => a.slice().sort((x, y) => x - y)
  const pct = (a, p) => sorted(a)[Math.min(a.length - 1, Math.ceil(p * a.length) - 1)]
  if (ctx.own.length) notes.push(`pm's own timestamps (startedAt − lastExit.at): median ${u.median(ctx.own).toFixed(2)} ms, p90 ${pct(ctx.own, 0.9).toFixed(2)} ms`)
  notes.push(`every exit → new process (ms, sorted): ${sorted(event).map((x) => x.toFixed(2)).join(' ')}`)
  return {
    delay: peer.delay,
    n: event.length,
    eventMedian: u.median(event),
    eventP90: pct(event, 0.9),
    eventMin: Math.min(...event),
    eventMax: Math.max(...event),
    childMedian: u.median(child),
    notes
  }
}

module.exports = { peers, run }
