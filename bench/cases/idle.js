'use strict'
// Case 6, idle cost: the main process's CPU time while N services run and do nothing. After every
// service reported running and a settling pause (`settle` ms: V8's memory reducer runs a GC about
// 8 s after a burst of allocation such as starting 50 services; that is Node's work, in every
// row alike, not pm's), every thread of this process is read twice,
// `window` ms apart, from /proc/self/task/<tid>/{stat,schedstat,status}: CPU time (ticks and the
// scheduler's ns) and wake-ups (voluntary context switches; preemptions by other work are not
// the thread's doing), grouped as the JS thread, pm's threads
// (`elife-pm*`) and the rest of Node (V8 platform workers, libuv's pool, …).
const path = require('path')
const u = require('../lib/util')
const peers = require('../lib/peers')
const { readyServer, N } = require('./services')

const IDLE = path.join(u.FIXTURES, 'idle.js')
const CLK_TCK = 100 // USER_HZ, the unit of /proc/<pid>/stat times

const MAX_MEMORY = 512 * 1024 * 1024 // far above an idle Node's: sampled, never exceeded

const variants = {
  idle: { label: 'idle Node, no services (reference)', peer: null },
  node: { label: `Node child_process.spawn, ${N} children with piped output`, peer: 'node' },
  pm: { label: `elife/pm, ${N} services (no maxMemory)`, peer: 'pm' },
  'pm-maxmem': { label: `elife/pm, ${N} services with maxMemory (sampled once a second)`, peer: 'pm', extra: { maxMemory: MAX_MEMORY } }
}

function group (comm, tid) {
  if (tid === process.pid) return 'js'
  if (/^elife-pm/.test(comm)) return 'pm'
  return 'node'
}

/** Per thread: CPU ticks (utime+stime), ns on a CPU, context switches. */
function threads () {
  const out = new Map()
  for (const t of u.fs.readdirSync('/proc/self/task')) {
    const tid = Number(t)
    try {
      const stat = u.fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // f[0] is field 3 (state)
      const ticks = Number(f[11]) + Number(f[12]) // utime + stime
      const ns = Number(u.fs.readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0])
      const status = u.fs.readFileSync(`/proc/self/task/${t}/status`, 'utf8')
      const sw = (k) => Number((new RegExp(k + ':\\s+(\\d+)').exec(status) || [0, 0])[1])
      out.set(tid, { comm, group: group(comm, tid), ticks, ns, wakeups: sw('voluntary_ctxt_switches') })
    } catch (e) {} // a thread that ended meanwhile
  }
  return out
}

/** The whole process's utime+stime, ticks (/proc/self/stat): what `top` would charge it. */
function procTicks () {
  const stat = u.fs.readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

// What each group of threads did between two readings; threads born in between count from zero.
function diff (a, b) {
  const g = {}
  for (const k of ['js', 'pm', 'node']) g[k] = { ns: 0, ticks: 0, wakeups: 0, threads: 0 }
  for (const [tid, t1] of b) {
    const t0 = a.get(tid) || { ns: 0, ticks: 0, wakeups: 0 }
    const x = g[t1.group]
    x.ns += t1.ns - t0.ns
    x.ticks += t1.ticks - t0.ticks
    x.wakeups += t1.wakeups - t0.wakeups
    x.threads++
  }
  return g
}

async function run (name, ctx) {
  const v = variants[name]
  if (!v) throw new Error('unknown peer ' + name)
  const window = ctx.window
  let peer = null
  let pids = []
  const ready = await readyServer(ctx.dir)
  try {
    if (v.peer) {
      peer = peers.make(v.peer)
      const specs = Array.from({ length: N }, (_, i) => Object.assign({ name: 'svc' + i, script: IDLE, args: [ready.sock, String(i)] }, v.extra))
      const allReady = ready.all(N)
      pids = await peer.start(specs)
      await Promise.race([allReady, u.sleep(30000).then(() => { throw new Error('services did not all report running within 30 s') })])
    }
    ready.close()
    await u.sleep(ctx.settle)
    const a = threads(); const pa = procTicks(); const t0 = u.now()
    await u.sleep(window)
    const b = threads(); const pb = procTicks(); const t1 = u.now()
    const alive = pids.filter(u.alive).length
    const g = diff(a, b)
    const notes = []
    if (pids.length && alive !== pids.length) notes.push(`only ${alive} of ${pids.length} services were alive at the end`)
    if (peer && peer.errors.length) notes.push('error events: ' + peer.errors.slice(0, 3).join('; '))
    return {
      window: t1 - t0,
      services: pids.length,
      procMs: (pb - pa) * 1000 / CLK_TCK,
      js: g.js,
      pm: g.pm,
      node: g.node,
      allNs: g.js.ns + g.pm.ns + g.node.ns,
      notes
    }
  } finally {
    ready.close()
    if (pids.length) {
      try { await peer.stopAll() } catch (e) {}
      try { await u.whenAllDead(pids, 5000) } catch (e) {}
      u.killLeftovers(pids)
    }
  }
}

module.exports = { run, variants, MAX_MEMORY }
