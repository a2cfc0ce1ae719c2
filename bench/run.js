#!/usr/bin/env node
'use strict'
// `npm run bench` — elife/pm against its peers. Each (case, peer) runs in its own fresh Node
// process (bench/worker.js), one after another, and sends its figures back as JSON. Prints Markdown
// tables and writes them to bench/out/results.md.
//
//   node bench/run.js [--quick] [--windows] [--case flood|start|stop|restart|memory|idle|stdio|scale|messages|1-9] [--peer NAME]
//
// --windows runs the Windows cases instead: the log flood and stopall() in the official Windows
// node.exe under Wine, elife/pm beside Windows Node's own pipe() and kill-all (bench/lib/wine.js).
// BENCH_PM_ROOT=<another checkout> measures that checkout's build with this harness.
const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')
const { spawn, execFileSync } = require('child_process')

const ROOT = path.join(__dirname, '..')
const PM_ROOT = process.env.BENCH_PM_ROOT ? path.resolve(process.env.BENCH_PM_ROOT) : ROOT
const OUT = path.join(__dirname, 'out')
const TAG_VAR = 'ELIFE_PM_BENCH_TAG'
const TAG = crypto.randomBytes(8).toString('hex')

// ---- Arguments ------------------------------------------------------------------------------

function parseArgs (argv) {
  const a = { quick: false, windows: false, case: null, peer: null }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    if (k === '--quick') a.quick = true
    else if (k === '--windows') a.windows = true
    else if (k === '--case') a.case = argv[++i]
    else if (k.startsWith('--case=')) a.case = k.slice(7)
    else if (k === '--peer') a.peer = argv[++i]
    else if (k.startsWith('--peer=')) a.peer = k.slice(7)
    else if (k === '-h' || k === '--help') {
      console.log('usage: node bench/run.js [--quick] [--windows] [--case flood|start|stop|restart|memory|idle|stdio|scale|messages|1-9] [--peer NAME]')
      process.exit(0)
    } else {
      console.error('unknown argument ' + k)
      process.exit(2)
    }
  }
  return a
}
const args = parseArgs(process.argv.slice(2))

// ---- Formatting -----------------------------------------------------------------------------

const f = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x)) ? '—' : Number(x).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
const mib = (b) => b / (1024 * 1024)

function table (header, rows) {
  const line = (cells) => '| ' + cells.join(' | ') + ' |'
  return [line(header), line(header.map((h, i) => i === 0 ? '---' : '---:')), ...rows.map(line)].join('\n')
}

// ---- Cases ----------------------------------------------------------------------------------

const usable = (r) => r && r.ok && !r.skipped
/** a[key] / b[key] as "1.23×", or n/a. */
function ratio (a, b, key) {
  return usable(a) && usable(b) && b[key] > 0 ? (a[key] / b[key]).toFixed(2) + '×' : 'n/a'
}
const floodMedian = { key: 'wall', note: (runs) => `wall ${runs.map((x) => (x.wall / 1000).toFixed(2)).join(' / ')} s (median shown); lost/torn/out-of-order per run: ${runs.map((x) => `${x.lost}/${x.torn}/${x.outOfOrder}`).join(', ')}${runs.some((x) => x.rotatedOut) ? `; rotated out per run: ${runs.map((x) => x.rotatedOut).join(', ')}` : ''}` }
const stopMedian = { key: 'tApi', note: (runs) => `API done ${runs.map((x) => x.tApi.toFixed(1)).join(' / ')} ms, all gone ${runs.map((x) => x.tGone.toFixed(1)).join(' / ')} ms (median by API done shown)` }

const { peers: floodPeers } = require('./cases/flood')
const { peers: restartPeers } = require('./cases/restart')
const idle = require('./cases/idle')
const stdioCase = require('./cases/stdio')
const scale = require('./cases/scale')
const services = require('./cases/services')
const messages = require('./cases/messages')
const serviceLabel = (p) => services.labels[p]
const N = services.N

const CASES = [
  {
    id: 'flood',
    num: 1,
    title: (o) => `Case 1 — log flood: 4 services × ${f(o.lines)} lines of 100 bytes into one shared log file`,
    peers: ['idle', 'shell', 'node', 'pm2', 'pm', 'pm-norotate', 'pm-rotate'],
    label: (p) => floodPeers[p].label,
    opts: (q) => ({ lines: q ? 25000 : 250000 }),
    timeout: 240000,
    waitQuiet: true,
    // Wall times on a 2-core machine shared with other work are noisy: the fast peers run 3 times
    // (each in a fresh process) and the run with the median wall time is shown.
    repeats: (p, q) => q || p === 'idle' || p === 'pm2' ? 1 : 3,
    median: floodMedian,
    header: ['Peer', 'Wall (s)', 'Lines/s', 'Lost', 'Rotated out (by design)', 'Torn', 'Out of order', 'Dup', 'Event loop p99 (ms)', 'Event loop max (ms)', 'Peak RSS (MiB)', 'CPU s: JS thread / whole main process / children', 'JS thread waiting for a CPU (ms)'],
    row: (r) => {
      const cpu = `${f(r.cpu.main / 1000, 2)} / ${f(r.cpu.proc / 1000, 2)} / ${f(r.cpu.children / 1000, 2)}`
      return r.idle
        ? ['—', '—', '—', '—', '—', '—', '—', f(r.loop.p99, 2), f(r.loop.max, 2), f(r.rss, 1), cpu, f(r.cpu.mainWait, 0)]
        : [f(r.wall / 1000, 2), f(r.linesPerSec), f(r.lost), r.rotatedOut ? f(r.rotatedOut) : '—', f(r.torn), f(r.outOfOrder), f(r.dup), f(r.loop.p99, 2), f(r.loop.max, 2), f(r.rss, 1), cpu, f(r.cpu.mainWait, 0)]
    },
    foot: 'Wall: first start → every line on disk. Lines/s: lines found intact on disk / wall. Lost: sequence numbers never found; torn: lines that do not parse, fail their checksum or mix two services. Event loop: `monitorEventLoopDelay({ resolution: 1 })` of the main process during the run. CPU: the main JS thread alone (/proc schedstat), the whole main process with all its threads (`process.cpuUsage()`), and the generators once reaped (/proc stat cutime+cstime). JS thread waiting: time the main thread was runnable but had no CPU (/proc schedstat): event-loop delay that is CPU contention, not work. Rotation (on by default since issue 22: 10 MiB files, 3 kept) deletes lines by design: the flood writes about 140 MB and only the newest 40 MiB (defaults) or 60 MiB (5 kept) remain. For those rows, lines missing before a service\'s first kept line are counted as rotated out, provided the files on disk are within the bound (a note says so); any other missing line is lost, and lines/s counts every line written intact, rotated out or not.',
    summary: (res) => {
      const w = (p) => res[p] && res[p].ok && !res[p].skipped ? res[p].wall : null
      const ratio = (a, b) => a && b ? (a / b).toFixed(2) + '×' : 'n/a'
      const parts = [`elife/pm (defaults, rotating) wall / shell redirect wall = **${ratio(w('pm'), w('shell'))}**`,
        `elife/pm (no rotation) wall / shell redirect wall = **${ratio(w('pm-norotate'), w('shell'))}**`,
        `@elife/pm2 wall / elife/pm wall = **${ratio(w('pm2'), w('pm'))}**`]
      return 'Summary: ' + parts.join('; ')
    }
  },
  {
    id: 'start',
    num: 2,
    title: () => `Case 2 — start ${N} services (an idle Node script)`,
    peers: ['node', 'pm2', 'pm'],
    label: serviceLabel,
    opts: () => ({}),
    timeout: 90000,
    header: ['Peer', `All ${N} spawned, per the API (ms)`, `All ${N} running their code (ms)`, 'Event loop p99 (ms)', 'Event loop max (ms)'],
    row: (r) => [f(r.tApi, 1), f(r.tReady, 1), f(r.loop.p99, 2), f(r.loop.max, 2)],
    foot: 'API: Node = every child\'s `spawn` event; @elife/pm2 = every `start()` callback; elife/pm = every `start()` promise. Running: each service connected to a Unix socket of the bench once its code ran.'
  },
  {
    id: 'stop',
    num: 3,
    title: () => `Case 3 — stop all of ${N} running services`,
    peers: ['node', 'pm2', 'pm'],
    label: serviceLabel,
    opts: () => ({}),
    timeout: 90000,
    // One stop of 50 takes tens of ms and a busy neighbour shifts it by as much: 5 runs, each in
    // a fresh process, the median (by API done) shown, and each round's pm / Node pair.
    repeats: (p, q) => q ? 1 : 5,
    median: stopMedian,
    header: ['Peer', 'API done (ms)', `All ${N} pids gone (ms)`],
    row: (r) => [f(r.tApi, 1), f(r.tGone, 1)],
    summary: (res, runs) => 'Summary: elife/pm `stopall()` / Node kill-all, API done = **' + ratio(res.pm, res.node, 'tApi') + '**; all pids gone = **' + ratio(res.pm, res.node, 'tGone') + '**' +
      (runs && runs.pm && runs.node && runs.pm.length > 1 ? `. Round by round (run i of each peer, back to back), API done: ${runs.pm.map((r, i) => ratio(r, runs.node[i], 'tApi')).join(', ')}` : ''),
    foot: 'API done: Node = `kill()` each, every `exit` event; @elife/pm2 = `stopAll()` (returns at once), every `exit` event; elife/pm = `await stopall()`. Gone: `process.kill(pid, 0)` polled every 1 ms until every pid is ESRCH. Median of 5 runs (by API done), each in a fresh process; the peers take turns, run by run.'
  },
  {
    id: 'restart',
    num: 4,
    title: (o) => `Case 4 — first-crash restart latency (${o.repeats} restarts each)`,
    peers: ['node', 'pm2', 'pm2-d0', 'pm'],
    label: (p) => restartPeers[p].label,
    opts: (q) => ({ repeats: q ? 3 : 30 }),
    timeout: 300000,
    header: ['Peer', 'First restart delay', 'Exit → new process, main-process events: median / p90 (min–max) ms', 'Crash → new child running its code: median (ms)', 'n'],
    row: (r) => [r.delay, `${f(r.eventMedian, 2)} / ${f(r.eventP90, 2)} (${f(r.eventMin, 2)}–${f(r.eventMax, 2)})`, f(r.childMedian, 1), f(r.n)],
    summary: (res) => 'Summary: elife/pm p90 / Node naive respawn p90 = **' + ratio(res.pm, res.node, 'eventP90') + '**; medians ' + ratio(res.pm, res.node, 'eventMedian'),
    foot: 'Events: Node = `exit` → next `spawn`; @elife/pm2 = the process info\'s `exit` → `restart`; elife/pm = `exit` → `start`. Child: the crashing child\'s last timestamp → the new child\'s first (includes Node\'s boot, ~the same for every peer).'
  },
  {
    id: 'memory',
    num: 5,
    title: () => `Case 5 — main-process memory per managed service (${N} idle services)`,
    peers: ['node', 'pm2', 'pm'],
    label: serviceLabel,
    opts: () => ({}),
    timeout: 90000,
    header: ['Peer', 'RSS before (MiB)', `RSS with ${N} (MiB)`, 'RSS per service (KiB)', 'JS heap + external per service (KiB)'],
    row: (r) => [f(mib(r.rss0), 1), f(mib(r.rss1), 1), f(r.perService / 1024, 1), f(r.heapPerService / 1024, 1)],
    foot: 'After loading the peer\'s library; 1.5 s after the last start; `global.gc()` (--expose-gc) before each reading.'
  },
  {
    id: 'idle',
    num: 6,
    title: (o) => `Case 6 — main-process CPU while ${N} services sit idle (${o.window / 1000} s)`,
    peers: ['idle', 'node', 'pm', 'pm-maxmem'],
    label: (p) => idle.variants[p].label,
    opts: (q) => ({ window: q ? 3000 : 10000, settle: q ? 3000 : 10000 }),
    timeout: 90000,
    header: ['Peer', 'Whole process, utime+stime (ms)', 'All threads, on a CPU (ms)', 'JS thread: ms / wake-ups', 'pm\'s threads: ms / wake-ups', 'Other Node threads: ms / wake-ups'],
    row: (r) => {
      const g = (x) => `${f(x.ns / 1e6, 2)} / ${f(x.wakeups)}`
      return [f(r.procMs), f(r.allNs / 1e6, 2), g(r.js), r.pm.threads ? g(r.pm) : '—', g(r.node)]
    },
    foot: `Measured after every service reported running and 10 s more (V8's memory reducer runs a GC about 8 s after the burst of starting them: Node's work, not pm's), over the window shown, from /proc/self/task/*: CPU time as the scheduler counts it (schedstat, ns) and wake-ups (voluntary context switches: each time the thread slept and was woken) of every thread of the main process, grouped as the JS thread, pm's own threads (\`elife-pm*\`) and Node's other threads; the whole process's utime+stime (/proc/self/stat, 10 ms ticks) is what \`top\` would charge. maxMemory is ${idle.MAX_MEMORY / 2 ** 20} MiB, far above what an idle service uses: every service is sampled once a second and none is restarted.`
  },
  {
    id: 'stdio',
    num: 7,
    title: (o) => `Case 7 — a piped service's stdin and stdout: ${f(mib(o.size))} MiB through \`cat\`, in the app's hands (issue 20)`,
    // Each way, Node's pipes and pm's, taking turns run by run.
    peers: Object.keys(stdioCase.peers),
    label: (p) => stdioCase.peers[p].label,
    opts: (q) => ({ size: (q ? 64 : 256) * 1024 * 1024 }),
    timeout: 120000,
    waitQuiet: true,
    repeats: (p, q) => q ? 1 : 5,
    median: { key: 'wall', note: (runs) => `MB/s ${runs.map((x) => x.mbps.toFixed(0)).join(' / ')}, event-loop p99 ${runs.map((x) => x.loop.p99.toFixed(2)).join(' / ')} ms (median by wall shown)` },
    header: ['Way: peer', 'MB/s', 'Wall (s)', 'Event loop p99 (ms)', 'Event loop max (ms)', 'CPU s: JS thread / whole main process', 'Chunks read (avg KiB)', 'write() false'],
    row: (r) => [f(r.mbps), f(r.wall / 1000, 2), f(r.loop.p99, 2), f(r.loop.max, 2), `${f(r.cpu.main / 1000, 2)} / ${f(r.cpu.proc / 1000, 2)}`, r.chunks ? `${f(r.chunks)} (${f(r.avgChunk / 1024, 1)})` : '—', f(r.falses)],
    summary: (res) => 'Summary: elife/pm MB/s ÷ Node\'s in the same run: ' + Object.keys(stdioCase.WAYS).map((w) => {
      const a = res['pm:' + w]; const b = res['node:' + w]
      const ok = usable(a) && usable(b)
      return `${w} **${ok ? (a.mbps / b.mbps).toFixed(2) + '×' : 'n/a'}** (p99 ${ok ? a.loop.p99.toFixed(2) + ' vs ' + b.loop.p99.toFixed(2) + ' ms' : 'n/a'})`
    }).join('; '),
    foot: 'MB/s: 10^6 bytes per second of wall time, from the first write (service → app: from the spawn resolving) to the stdout\'s `end`. The app writes one 64 KiB Buffer over and over, waiting for `drain` whenever `write()` returns false, and counts what it reads. Event loop: `monitorEventLoopDelay({ resolution: 1 })` over the transfer. CPU: the JS thread alone (/proc schedstat) and every thread of the main process (`process.cpuUsage()`). Node\'s child stdio are Unix socket pairs (libuv), read and written on the JS thread itself; pm\'s are pipes (64 KiB, widened to 1 MiB once they fill, 16 at a time per process), read and written on the JS thread first (one system call each, as libuv does) and waited on by pm\'s own threads only when empty or full. Median of 5 runs by wall, each in a fresh process, the peers taking turns.'
  },
  {
    id: 'scale',
    num: 8,
    title: (o) => `Case 8 — ${f(o.services)} services at once, each a tiny executable (sleep) with its own log file`,
    peers: ['node', 'pm'],
    label: (p) => scale.labels[p],
    opts: (q) => ({ services: q ? 200 : 1000 }),
    timeout: 180000,
    repeats: (p, q) => q ? 1 : 3,
    median: { key: 'tStop', note: (runs) => `stopall() API done ${runs.map((x) => x.tStop.toFixed(1)).join(' / ')} ms, start ${runs.map((x) => x.tStart.toFixed(0)).join(' / ')} ms (median by stopall shown)` },
    header: ['Peer', 'Threads added', 'fds per service', 'RSS added per service (KiB)', 'Start all (ms)', 'stopall: API done (ms)', 'stopall: every pid gone (ms)'],
    row: (r) => [f(r.threadsAdded), f(r.fdsPerService, 2), f(r.rssPerService / 1024, 1), f(r.tStart), f(r.tStop, 1), f(r.tGone, 1)],
    summary: (res) => 'Summary: elife/pm / Node, RSS added per service = **' + ratio(res.pm, res.node, 'rssPerService') + '**; `stopall()` API done = **' + ratio(res.pm, res.node, 'tStop') + '**; every pid gone = **' + ratio(res.pm, res.node, 'tGone') + '**',
    foot: 'Each peer in a fresh Node process (`--expose-gc`): threads (/proc/self/task), open fds (/proc/self/fd) and VmRSS read after loading nothing, then 1 s (and two GCs) after the last start, before stopping. Start: Node = every `spawn` event; elife/pm = every `start()` promise. stopall: Node = `kill()` each, every `exit` event (its log streams ended); elife/pm = `await stopall()`. Gone: every pid ESRCH. Median of 3 runs by stopall API done.'
  },
  {
    id: 'messages',
    num: 9,
    title: (o) => `Case 9 — a Node service flooding process.send: ${f(o.count)} small messages in a tight loop`,
    peers: ['node', 'pm'],
    label: (p) => messages.peers[p].label,
    opts: (q) => ({ count: q ? 20000 : 100000 }),
    timeout: 120000,
    waitQuiet: true,
    repeats: (p, q) => q ? 1 : 5,
    median: { key: 'wall', note: (runs) => `wall ${runs.map((x) => (x.wall / 1000).toFixed(2)).join(' / ')} s, event-loop p99 ${runs.map((x) => x.loop.p99.toFixed(1)).join(' / ')} ms, grew ${runs.map((x) => x.grewMiB.toFixed(0)).join(' / ')} MiB (median by wall shown)` },
    header: ['Peer', 'Wall (s)', 'Messages/s', 'Out of order', 'Event loop p99 (ms)', 'Event loop max (ms)', 'Main process grew (MiB)', 'CPU s: JS thread / whole main process'],
    row: (r) => [f(r.wall / 1000, 2), f(r.perSec), f(r.outOfOrder), f(r.loop.p99, 1), f(r.loop.max, 1), f(r.grewMiB, 1), `${f(r.cpu.main / 1000, 2)} / ${f(r.cpu.proc / 1000, 2)}`],
    summary: (res) => 'Summary: elife/pm / Node fork, wall = **' + ratio(res.pm, res.node, 'wall') + '**; event-loop p99 = **' + ratio(res.pm, res.node, 'loopP99') + '**; main process grew = **' + ratio(res.pm, res.node, 'grewMiB') + '**',
    foot: 'The same sender script on the same Node binary. Wall: the spawn called (pm loaded before) → the last message taken by the app\'s listener, the child\'s start included for both; every message is checked to arrive once and in order. Event loop: `monitorEventLoopDelay({ resolution: 1 })` over that time. Grew: the main process\'s RSS sampled every 10 ms, peak minus the reading just before the spawn (after two GCs). pm reads a service\'s channel no faster than JS takes its messages (256 in flight at most); Node\'s fork reads the channel as fast as it can and queues what JS has not taken yet. Median of 5 runs by wall, each in a fresh process, the peers taking turns.'
  }
]

// The Windows column (--windows): the same workers, in Windows node.exe under Wine. Wine is not
// Windows, so what counts is each ratio of elife/pm to Windows Node's own way in the same run.
const WINDOWS_CASES = [
  {
    id: 'flood',
    num: 1,
    title: (o) => `Windows (Wine) — log flood: 4 services × ${f(o.lines)} lines of 100 bytes into one shared log file`,
    peers: ['node', 'pm'],
    label: (p) => 'Windows node.exe: ' + floodPeers[p].label,
    // Every process start and every pipe read goes through wineserver: 50,000 lines per service
    // take a few seconds there.
    opts: (q) => ({ lines: q ? 10000 : 50000 }),
    timeout: 300000,
    waitQuiet: true,
    repeats: (p, q) => q ? 1 : 3,
    median: floodMedian,
    header: ['Peer', 'Wall under Wine (s)', 'Lost', 'Torn', 'Out of order', 'Dup'],
    row: (r) => [f(r.wall / 1000, 2), f(r.lost), f(r.torn), f(r.outOfOrder), f(r.dup)],
    summary: (res) => 'Summary (the figure to quote): elife/pm wall / Windows Node `pipe()` wall = **' + ratio(res.pm, res.node, 'wall') + '**',
    foot: 'Both in the official Windows node.exe under Wine, one after another, each in a fresh process; wall: first start → every line on disk; lines verified as in case 1.'
  },
  {
    id: 'stop',
    num: 3,
    title: () => `Windows (Wine) — stop all of ${N} running services`,
    peers: ['node', 'pm'],
    label: (p) => 'Windows node.exe: ' + services.labels[p],
    opts: () => ({}),
    timeout: 300000,
    repeats: (p, q) => q ? 1 : 3,
    median: stopMedian,
    header: ['Peer', 'API done under Wine (ms)', `All ${N} pids gone under Wine (ms)`],
    row: (r) => [f(r.tApi, 1), f(r.tGone, 1)],
    summary: (res) => 'Summary (the figures to quote): elife/pm `stopall()` / Windows Node kill-all, API done = **' + ratio(res.pm, res.node, 'tApi') + '**; all pids gone = **' + ratio(res.pm, res.node, 'tGone') + '**',
    foot: 'Node = `kill()` each (TerminateProcess), every `exit` event; elife/pm = `await stopall()` (the idle services registered no `onstopping`: their job objects are terminated). Gone: `process.kill(pid, 0)` polled every 1 ms. Median of 3 runs by API done.'
  }
]
const wine = args.windows ? require('./lib/wine') : null

// ---- Processes we started -------------------------------------------------------------------

// Every process of the bench (workers and all their descendants) inherits TAG in its environment.
function tagged (anyRun = false) {
  const found = []
  const needle = Buffer.from(anyRun ? `${TAG_VAR}=` : `${TAG_VAR}=${TAG}`)
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
    try {
      // A zombie or exiting process is already gone in every way that matters.
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'latin1')
      if (/^[ZXx]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue
      if (fs.readFileSync(`/proc/${d}/environ`).includes(needle)) {
        let cmd = ''
        try { cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0').join(' ').trim() } catch (e) {}
        found.push({ pid: Number(d), cmd })
      }
    } catch (e) {}
  }
  return found
}

// Processes of the bench still alive `graceMs` after their worker ended (killed processes take a
// moment to go) are strays: SIGKILL them and say so.
function killStrays (graceMs = 0) {
  let strays = tagged()
  const until = Date.now() + graceMs
  while (strays.length && Date.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50)
    strays = tagged()
  }
  for (const s of strays) { try { process.kill(s.pid, 'SIGKILL') } catch (e) {} }
  return strays
}

let current = null // the running worker
let strayTotal = 0 // processes the workers left behind (killed)
let tmpRoot = null

function cleanupAndExit (code) {
  if (current) { try { process.kill(-current.pid, 'SIGKILL') } catch (e) {} }
  killStrays()
  if (wine) wine.shutDown()
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true })
  process.exit(code)
}
process.on('SIGINT', () => { console.error('\ninterrupted: cleaning up'); cleanupAndExit(130) })
process.on('SIGTERM', () => cleanupAndExit(143))

// How busy the machine's CPUs were over `ms` (0–1), from /proc/stat: other engineers' builds and
// tests share this machine, and a busy machine slows every figure.
function cpuTimes () {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = v[3] + (v[4] || 0)
  return { idle, total: v.reduce((a, b) => a + b, 0) }
}
function busy (ms) {
  const a = cpuTimes()
  return new Promise((resolve) => setTimeout(() => {
    const b = cpuTimes()
    resolve(b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0)
  }, ms))
}

async function runWorker (c, peer, opts) {
  let before = await busy(500)
  // For the timing-sensitive flood, wait (up to 5 s) for a quiet half second first.
  for (let i = 0; c.waitQuiet && before > 0.2 && i < 10; i++) before = await busy(500)
  const r = await runWorker1(c, peer, opts)
  if (before > 0.15) r.notes = (r.notes || []).concat(`the machine was ${(before * 100).toFixed(0)}% busy with other work in the 0.5 s before this run`)
  return r
}

function runWorker1 (c, peer, opts) {
  const dir = path.join(tmpRoot, `${c.id}-${peer}`)
  fs.mkdirSync(dir, { recursive: true })
  const resultFile = path.join(dir, 'result.json')
  const t0 = Date.now()
  const workerArgs = (p) => ['--expose-gc', p(path.join(__dirname, 'worker.js')), c.id, peer, p(resultFile), p(dir), JSON.stringify(opts)]
  // Windows node.exe under Wine must not write to a Unix pipe: its output goes to a file.
  const outFile = path.join(dir, 'worker.out')
  const outFd = wine ? fs.openSync(outFile, 'w') : null
  return new Promise((resolve) => {
    const w = wine
      ? spawn('wine', [wine.NODE_EXE].concat(workerArgs(wine.winPath)), {
        cwd: ROOT,
        env: Object.assign({}, wine.ENV, { [TAG_VAR]: TAG }),
        stdio: ['ignore', outFd, outFd],
        detached: true
      })
      : spawn(process.execPath, workerArgs((x) => x), {
        cwd: ROOT,
        env: Object.assign({}, process.env, { [TAG_VAR]: TAG }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true // its own process group, so a timeout can take the worker and its children down
      })
    current = w
    let tail = ''
    const keep = (d) => { tail = (tail + d).slice(-2000) }
    if (wine) fs.closeSync(outFd)
    else {
      w.stdout.on('data', keep)
      w.stderr.on('data', keep)
    }
    let timedOut = false
    const limit = Number(process.env.BENCH_TIMEOUT_MS) || c.timeout
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-w.pid, 'SIGKILL') } catch (e) {} }, limit)
    w.on('close', (code, signal) => {
      clearTimeout(timer)
      current = null
      if (wine) { try { keep(fs.readFileSync(outFile, 'utf8')) } catch (e) {} }
      let r = null
      try { r = JSON.parse(fs.readFileSync(resultFile, 'utf8')) } catch (e) {}
      if (timedOut) r = { ok: false, error: `timed out after ${limit / 1000} s` }
      else if (!r) r = { ok: false, error: `worker died (${signal || 'exit code ' + code}) without a result` }
      if (!r.ok && tail.trim()) r.error += '\n' + tail.trim().split('\n').slice(-6).join('\n')
      const strays = killStrays(1000)
      strayTotal += strays.length
      if (strays.length) {
        r.notes = (r.notes || []).concat(`**${strays.length} process(es) still alive 1 s after the worker ended, killed**: ` + strays.slice(0, 3).map((s) => `${s.pid} \`${s.cmd.slice(0, 100)}\``).join(', '))
      }
      r.seconds = (Date.now() - t0) / 1000
      fs.rmSync(dir, { recursive: true, force: true })
      resolve(r)
    })
  })
}

// Of several runs of one (case, peer): the one with the median of the case's key figure, with
// every run's figures in a note. A failed run wins (it must show).
function pickMedian (runs, how) {
  const bad = runs.find((r) => !r.ok || r.skipped)
  if (bad || runs.length === 1) return bad || runs[0]
  const sorted = runs.slice().sort((a, b) => a[how.key] - b[how.key])
  const r = sorted[(sorted.length - 1) >> 1]
  r.notes = [`${runs.length} runs, ${how.note(runs)}`].concat(r.notes || [])
  return r
}

// ---- Machine --------------------------------------------------------------------------------

function machine () {
  const cpus = os.cpus()
  let distro = os.type()
  try { distro = /PRETTY_NAME="?([^"\n]+)/.exec(fs.readFileSync('/etc/os-release', 'utf8'))[1] } catch (e) {}
  let rev = 'unknown'
  try {
    rev = execFileSync('git', ['-C', PM_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['-C', PM_ROOT, 'status', '--porcelain', '--', 'src', 'lib', 'index.js'], { encoding: 'utf8' }).trim()
    if (dirty) rev += ' + uncommitted changes'
  } catch (e) {}
  let addon = 'missing'
  try { addon = fs.statSync(path.join(PM_ROOT, ADDON)).mtime.toISOString() } catch (e) {}
  let pm2v = '?'
  try { pm2v = require(path.join(ROOT, 'node_modules', '@elife', 'pm2', 'package.json')).version } catch (e) {}
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${cpus[0] ? cpus[0].model.trim() : 'unknown'}, ${cpus.length} cores`,
    `- RAM: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version}`,
    `- OS: ${distro}, ${os.type()} ${os.release()} ${os.arch()}`,
    `- Load average (1/5/15 min) at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
    `- elife/pm: ${rev}${PM_ROOT !== ROOT ? ` (${PM_ROOT}, measured by the harness of ${path.relative(process.cwd(), ROOT) || '.'})` : ''}, ${ADDON} built ${addon}; @elife/pm2 ${pm2v}`
  ].concat(wine ? [`- Windows: node.exe ${wine.version} under ${wine.wineVersion()} (Wine is not Windows: compare the ratios, not the times)`] : []).join('\n')
}

// ---- Main -----------------------------------------------------------------------------------

const ADDON = args.windows ? 'pm.win32-x64-gnu.node' : 'pm.linux-x64-gnu.node'

function ensureAddon () {
  if (wine) return wine.ensure()
  if (fs.existsSync(path.join(PM_ROOT, ADDON))) return
  console.error(ADDON + ' is missing: npm run build')
  execFileSync('npm', ['run', 'build'], { cwd: PM_ROOT, stdio: ['ignore', process.stderr, process.stderr] })
}

async function main () {
  const t0 = Date.now()
  const all = args.windows ? WINDOWS_CASES : CASES
  let cases = all
  if (args.case) {
    cases = all.filter((c) => c.id === args.case || String(c.num) === args.case)
    if (!cases.length) { console.error(`unknown case ${args.case}; cases: ${all.map((c) => c.id).join(', ')}`); process.exit(2) }
  }
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '@elife', 'pm2'))) {
    console.error('@elife/pm2 is missing: run `npm install` first'); process.exit(2)
  }
  ensureAddon()
  const before = tagged(true)
  for (const s of before) { try { process.kill(s.pid, 'SIGKILL') } catch (e) {} }
  if (before.length) console.error(`[bench] killed ${before.length} leftover processes of an earlier, interrupted run`)
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-bench-'))
  if (wine) wine.version = wine.warmUp(path.join(tmpRoot, 'warm-up.out'))

  const out = [`# elife/pm benchmarks${args.quick ? ' (--quick)' : ''}${wine ? ', Windows under Wine' : ''}`, '', machine(), '']
  let failed = false
  for (const c of cases) {
    const opts = c.opts(args.quick)
    const peers = args.peer ? c.peers.filter((p) => p === args.peer) : c.peers
    if (!peers.length) continue
    // Repeated runs go round the peers (run 1 of each, then run 2 of each, …), so that each
    // round's peers are measured within the same minute of a machine whose load drifts.
    const runs = {}
    const k = {}
    for (const p of peers) { runs[p] = []; k[p] = c.repeats ? c.repeats(p, args.quick) : 1 }
    const rounds = Math.max(...peers.map((p) => k[p]))
    for (let i = 0; i < rounds; i++) {
      for (const p of peers) {
        const done = runs[p][runs[p].length - 1]
        if (i >= k[p] || (done && (!done.ok || done.skipped))) continue
        process.stderr.write(`[bench] ${c.id} / ${p}${k[p] > 1 ? ` (run ${i + 1}/${k[p]})` : ''} … `)
        const r = await runWorker(c, p, opts)
        runs[p].push(r)
        process.stderr.write(r.ok ? (r.skipped ? `skipped (${r.seconds.toFixed(1)} s)\n` : `ok (${r.seconds.toFixed(1)} s)\n`) : `FAILED (${r.seconds.toFixed(1)} s)\n`)
      }
    }
    const results = {}
    for (const p of peers) results[p] = pickMedian(runs[p], c.median)
    const rows = []
    const notes = []
    for (const p of peers) {
      const r = results[p]
      if (r.skipped) { notes.push(`- ${c.label(p)}: skipped: ${r.skipped}`); continue }
      if (!r.ok) {
        failed = true
        rows.push([c.label(p), `**error**: ${r.error.split('\n')[0].slice(0, 160)}`, ...c.header.slice(2).map(() => '')])
        notes.push(`- ${c.label(p)}: error:\n\n\`\`\`\n${r.error.slice(0, 1500)}\n\`\`\``)
        continue
      }
      rows.push([c.label(p), ...c.row(r)])
      for (const n of r.notes || []) notes.push(`- ${c.label(p)}: ${n}`)
    }
    const section = [`## ${c.title(opts)}`, '', table(c.header, rows), '']
    if (c.summary) section.push(c.summary(results, runs), '')
    if (c.foot) section.push(c.foot, '')
    if (notes.length) section.push(notes.join('\n'), '')
    out.push(...section)
    console.log(section.join('\n')) // each table as soon as it is done
  }
  const strays = killStrays()
  if (strays.length) { failed = true; out.push(`**${strays.length} stray processes at the end, killed.**`, '') }
  if (wine) wine.shutDown()
  fs.rmSync(tmpRoot, { recursive: true, force: true })
  tmpRoot = null
  out.push(`Load average (1/5/15 min) at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}.`, '')
  strayTotal += strays.length
  if (strayTotal) failed = true
  out.push(`Total bench time: ${((Date.now() - t0) / 1000).toFixed(0)} s; every (case, peer) ran in a fresh Node process, one at a time; ` +
    (strayTotal ? `**${strayTotal} stray processes were left behind and killed** (see the notes)` : 'no process was left behind') + '; temp files removed.', '')
  fs.mkdirSync(OUT, { recursive: true })
  const outName = wine ? 'results-windows.md' : 'results.md'
  fs.writeFileSync(path.join(OUT, outName), out.join('\n'))
  console.log(out.slice(-4).join('\n'))
  console.error(`[bench] written to ${path.relative(process.cwd(), path.join(OUT, outName))}`)
  process.exitCode = failed ? 1 : 0
}

main().catch((e) => { console.error(e); cleanupAndExit(1) })
