'use strict'
// Case 1, the log flood: SERVICES generators × LINES lines of 100 bytes into ONE shared log file.
const path = require('path')
const { spawn } = require('child_process')
const u = require('../lib/util')
const { check, logFiles } = require('../lib/check')
const { LINE_BYTES } = require('../lib/payload')

const SERVICES = 4
const MiB = 1024 * 1024
const GEN = path.join(u.FIXTURES, 'gen.js')
const FINISH_TIMEOUT = 120000 // ms: how long pm2's log may take to reach its full size
const STALL = 5000 // ms without growth, after every generator exited, that ends pm2's wait

const peers = {
  idle: { label: 'idle Node, nothing running (reference)', run: runIdle },
  shell: { label: 'shell redirect `>> file` (the limit)', prefix: 'raw', run: runShell },
  node: { label: 'Node child.stdout.pipe(shared WriteStream)', prefix: 'raw', run: runNode },
  pm2: { label: '@elife/pm2 3.6.1', prefix: 'pm2', run: runPm2 },
  // The defaults rotate (issue 22): 10 MiB files, 3 kept, so the flood's oldest lines are
  // rotated out by design; `rotation` says what the check may count as such.
  pm: { label: 'elife/pm (defaults: rotation at 10 MiB, 3 kept)', prefix: 'pm', rotation: { maxSize: 10 * MiB, keep: 3 }, run: (ctx) => runPm(ctx, {}) },
  'pm-norotate': { label: 'elife/pm (logMaxSize: 0, no rotation)', prefix: 'pm', run: (ctx) => runPm(ctx, { logMaxSize: 0 }) },
  'pm-rotate': { label: 'elife/pm (logMaxSize 10 MiB, logKeep 5)', prefix: 'pm', rotation: { maxSize: 10 * MiB, keep: 5 }, run: (ctx) => runPm(ctx, { logMaxSize: 10 * MiB, logKeep: 5 }) }
}

function exitOf (child) {
  return new Promise((resolve, reject) => {
    let stderr = ''
    if (child.stderr) child.stderr.on('data', (d) => { if (stderr.length < 4000) stderr += d })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`generator pid ${child.pid} exited with ${signal || code}: ${stderr.trim()}`))
    })
  })
}

async function runIdle (ctx) {
  const el = u.eventLoopMonitor()
  const c0 = u.cpu()
  await u.sleep(1000)
  return { loop: el.stop(), cpu: u.cpuSince(c0), rss: u.peakRss(), idle: true }
}

async function runShell (ctx) {
  const el = u.eventLoopMonitor()
  const c0 = u.cpu()
  const t0 = u.now()
  const kids = []
  for (let s = 1; s <= SERVICES; s++) {
    kids.push(spawn('sh', ['-c', 'exec "$0" "$1" "$2" "$3" >> "$4"', process.execPath, GEN, String(s), String(ctx.lines), ctx.file],
      { stdio: ['ignore', 'ignore', 'pipe'] }))
  }
  ctx.pids.push(...kids.map((k) => k.pid))
  await Promise.all(kids.map(exitOf))
  return { wall: u.now() - t0, loop: el.stop(), cpu: u.cpuSince(c0), rss: u.peakRss() }
}

async function runNode (ctx) {
  const fs = u.fs
  const el = u.eventLoopMonitor()
  const c0 = u.cpu()
  const t0 = u.now()
  const out = fs.createWriteStream(ctx.file, { flags: 'a' })
  const kids = []
  for (let s = 1; s <= SERVICES; s++) {
    const c = spawn(process.execPath, [GEN, String(s), String(ctx.lines)], { stdio: ['ignore', 'pipe', 'pipe'] })
    c.stdout.pipe(out, { end: false })
    kids.push(c)
  }
  ctx.pids.push(...kids.map((k) => k.pid))
  await Promise.all(kids.map(exitOf))
  await new Promise((resolve, reject) => { out.on('error', reject); out.end(resolve) })
  return { wall: u.now() - t0, loop: el.stop(), cpu: u.cpuSince(c0), rss: u.peakRss() }
}

const f = (n) => n.toLocaleString('en-US')

function openFilesLimit () {
  try { return /Max open files\s+(\d+)/.exec(u.fs.readFileSync('/proc/self/limits', 'utf8'))[1] } catch (e) { return '?' }
}

function sizeOf (file) {
  return logFiles(file).reduce((n, f) => { try { return n + u.fs.statSync(f).size } catch (e) { return n } }, 0)
}

// @elife/pm2 appends each line with its own fs.appendFile and offers no way to know when they are
// done: poll the file until it holds every expected byte, or stops growing.
async function runPm2 (ctx) {
  const pm2 = u.loadPm2()
  const notes = []
  // pm2 reports a failed fs.appendFile (a line it dropped) only with console.error: count them.
  const appendErrors = {}
  const consoleError = console.error
  console.error = (e) => { const k = (e && e.code) || 'other'; appendErrors[k] = (appendErrors[k] || 0) + 1 }
  const expected = SERVICES * ctx.lines * (LINE_BYTES + 'floodN: '.length)
  const el = u.eventLoopMonitor()
  const c0 = u.cpu()
  const t0 = u.now()
  const exits = []
  for (let s = 1; s <= SERVICES; s++) {
    exits.push(new Promise((resolve, reject) => {
      pm2.start({ name: 'flood' + s, script: GEN, args: [String(s), String(ctx.lines)], log: ctx.file, restartAt: [] }, (err, pi) => {
        if (err) return reject(new Error('pm2.start: ' + err))
        ctx.pids.push(pi.child.pid)
        pi.on('error', (e) => reject(new Error('pm2 error event: ' + e)))
        pi.on('exit', (msg) => { if (msg !== 'Process exit') notes.push(`flood${s}: ${msg}`); resolve() })
      })
    }))
  }
  let allExited = false
  Promise.all(exits).then(() => { allExited = true }, () => {})
  let last = -1; let lastGrowth = u.now(); let done = false
  await Promise.race([
    Promise.all(exits).then(() => new Promise(() => {})), // only errors end the race here
    u.waitFor('pm2 log to fill', () => {
      const size = sizeOf(ctx.file)
      if (size !== last) { last = size; lastGrowth = u.now() }
      if (size >= expected) { done = true; return true }
      if (allExited && u.now() - lastGrowth > STALL) return true
      if (u.now() - t0 > FINISH_TIMEOUT) { notes.push(`gave up after ${FINISH_TIMEOUT / 1000} s`); return true }
      return false
    }, FINISH_TIMEOUT + STALL * 2, 10)
  ])
  const wall = lastGrowth - t0
  console.error = consoleError
  const errs = Object.keys(appendErrors).map((k) => `${appendErrors[k]} × ${k}`)
  if (errs.length) notes.push(`pm2 reported failed log appends (lines dropped): ${errs.join(', ')} (open-files limit ${openFilesLimit()})`)
  // pm2 has no completion signal: the end is the poll (every 10 ms) that saw the log at its full
  // size, or else its last growth.
  if (!done) notes.push(`log stopped growing at ${f(last)} of ${f(expected)} bytes; wall = its last growth`)
  return { wall, loop: el.stop(), cpu: u.cpuSince(c0), rss: u.peakRss(), notes }
}

async function runPm (ctx, extra) {
  const pm = u.loadPm()
  const notes = []
  const names = new Set()
  let exited = 0
  let allExited
  const exitedAll = new Promise((resolve) => { allExited = resolve })
  const errors = []
  pm.on('error', (e) => errors.push(`${e.name}: ${e.message}`))
  pm.on('exit', (e) => {
    if (!names.has(e.name)) return
    if (e.code !== 0) notes.push(`${e.name} exited with ${e.signal || e.code}`)
    if (++exited === SERVICES) allExited()
  })
  for (let s = 1; s <= SERVICES; s++) names.add('flood' + s)
  const el = u.eventLoopMonitor()
  const c0 = u.cpu()
  const t0 = u.now()
  let infos
  try {
    infos = await Promise.all([...names].map((name, i) => pm.start(Object.assign({
      name, script: GEN, args: [String(i + 1), String(ctx.lines)], log: ctx.file, restartAt: []
    }, extra))))
  } catch (e) {
    el.stop()
    throw e
  }
  ctx.pids.push(...infos.map((i) => i.pid))
  await exitedAll
  const tExited = u.now() - t0
  // Where the addon's threads spent the run (threads that already ended are missing here).
  const threads = u.threadCpu()
  await pm.stopall()
  const wall = u.now() - t0
  const loop = el.stop()
  const cpu = u.cpuSince(c0)
  const rss = u.peakRss()
  ctx.sizeAtEnd = sizeOf(ctx.file)
  notes.push(`all exit events at ${(tExited / 1000).toFixed(2)} s, stopall resolved ${(wall - tExited).toFixed(0)} ms later`)
  if (errors.length) notes.push('error events: ' + errors.join('; '))
  const addon = Object.keys(threads).filter((k) => /^elife/.test(k))
  if (addon.length) {
    notes.push('addon threads at the last exit (ms on a CPU / ms waiting for one): ' +
      addon.map((k) => `${k} ×${threads[k].threads}: ${threads[k].run.toFixed(0)} / ${threads[k].wait.toFixed(0)}`).join(', '))
  }
  return { wall, loop, cpu, rss, notes }
}

async function run (peerName, ctx) {
  const peer = peers[peerName]
  if (!peer) throw new Error('unknown peer ' + peerName)
  ctx.file = path.join(ctx.dir, 'flood.log')
  ctx.pids = []
  let r
  try {
    r = await peer.run(ctx)
  } finally {
    const left = u.killLeftovers(ctx.pids)
    if (left.length && r) (r.notes = r.notes || []).push(`killed ${left.length} leftover generator(s)`)
  }
  if (r.idle || r.skipped) return r
  const expectedLines = SERVICES * ctx.lines
  if (ctx.sizeAtEnd !== undefined) await u.sleep(300) // anything written after the end counts as late
  const c = check({ file: ctx.file, prefix: peer.prefix, services: SERVICES, lines: ctx.lines })
  const notes = r.notes || []
  if (ctx.sizeAtEnd !== undefined && c.bytes > ctx.sizeAtEnd) notes.push(`${c.bytes - ctx.sizeAtEnd} bytes reached the log after stopall() resolved`)
  // A rotating peer's missing lines count as rotated out only when they are each service's
  // oldest (the files past the keep limit) and the files on disk are within the bound: a line
  // missing after a service's first kept line is lost.
  let lost = c.lost
  let rotatedOut = 0
  if (peer.rotation) {
    const { maxSize, keep } = peer.rotation
    const sizes = logFiles(ctx.file).map((f) => u.fs.statSync(f).size)
    const total = sizes.reduce((a, b) => a + b, 0)
    const within = sizes.length <= keep + 1 && sizes.every((n) => n <= maxSize)
    notes.push(`on disk: ${sizes.length} files, ${(total / MiB).toFixed(1)} MiB (bound ${keep + 1} × ${maxSize / MiB} MiB)` +
      (within ? '' : ': OVER THE BOUND, so nothing counts as rotated out'))
    if (within) {
      lost = c.lostGaps
      rotatedOut = c.lostOldest
    }
  } else if (c.files > 1) notes.push(`log rotated: ${c.files} files on disk`)
  if (c.tornSamples.length) notes.push('a bad line: ' + JSON.stringify(c.tornSamples[0]))
  for (const f of logFiles(ctx.file)) u.fs.rmSync(f, { force: true })
  return {
    wall: r.wall,
    linesPerSec: (expectedLines - lost) / (r.wall / 1000),
    expectedLines,
    lines: c.total,
    lost,
    rotatedOut,
    torn: c.torn,
    outOfOrder: c.outOfOrder,
    dup: c.dup,
    loop: r.loop,
    cpu: r.cpu,
    rss: r.rss,
    notes
  }
}

module.exports = { peers, run }
