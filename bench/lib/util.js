'use strict'
const fs = require('fs')
const path = require('path')
const { performance, monitorEventLoopDelay } = require('perf_hooks')

const ROOT = path.join(__dirname, '..', '..')
// Which checkout of elife/pm the bench measures: this one, or BENCH_PM_ROOT (another worktree
// with its own build, e.g. an older commit, measured by this same harness).
const PM_ROOT = process.env.BENCH_PM_ROOT ? path.resolve(process.env.BENCH_PM_ROOT) : ROOT
const FIXTURES = path.join(__dirname, '..', 'fixtures')

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const mib = (bytes) => bytes / (1024 * 1024)

function median (xs) {
  if (xs.length === 0) return null
  const s = xs.slice().sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Event-loop delay of this (main) process, 1 ms resolution. */
function eventLoopMonitor () {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  return {
    stop () {
      h.disable()
      return { p99: h.percentile(99) / 1e6, max: h.max / 1e6, mean: h.mean / 1e6, samples: h.count }
    }
  }
}

/** Peak RSS of this process so far, MiB. */
const peakRss = () => process.resourceUsage().maxRSS / 1024

const CLK_TCK = 100 // Linux's USER_HZ, the unit of /proc/<pid>/stat times

/**
 * CPU time used so far, ms: this whole process (every thread: JS, libuv pool, an addon's), its
 * main JS thread alone, and its children that have been waited for.
 */
function cpu () {
  const cu = process.cpuUsage()
  let main = null; let mainWait = null; let children = null
  try {
    // schedstat: ns on a CPU, ns runnable but waiting for one, timeslices
    const sched = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')
    main = Number(sched[0]) / 1e6
    mainWait = Number(sched[1]) / 1e6
  } catch (e) {}
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields[0] is field 3 (state)
    children = (Number(fields[13]) + Number(fields[14])) * 1000 / CLK_TCK // cutime + cstime
  } catch (e) {}
  return { proc: (cu.user + cu.system) / 1000, main, mainWait, children }
}

function cpuSince (a) {
  const b = cpu()
  return { proc: b.proc - a.proc, main: b.main - a.main, mainWait: b.mainWait - a.mainWait, children: b.children - a.children }
}

/** CPU ms on a CPU and waiting for one, of this process's threads other than the main one, by name. */
function threadCpu () {
  const out = {}
  if (process.platform !== 'linux') return out
  for (const t of fs.readdirSync('/proc/self/task')) {
    if (t === String(process.pid)) continue
    try {
      const name = fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim()
      const [run, wait] = fs.readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number)
      const o = out[name] || (out[name] = { threads: 0, run: 0, wait: 0 })
      o.threads++; o.run += run / 1e6; o.wait += wait / 1e6
    } catch (e) {}
  }
  return out
}

function alive (pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return e.code === 'EPERM'
  }
}

/** Resolves with the time (performance.now()) at which every pid was gone, polling every ms. */
function whenAllDead (pids, timeoutMs) {
  const t0 = now()
  return new Promise((resolve, reject) => {
    let left = pids.slice()
    const tick = () => {
      left = left.filter(alive)
      if (left.length === 0) { clearInterval(timer); resolve(now()) } else if (now() - t0 > timeoutMs) {
        clearInterval(timer)
        reject(new Error(`${left.length} of ${pids.length} processes still alive after ${timeoutMs} ms: ${left.slice(0, 5).join(', ')}`))
      }
    }
    const timer = setInterval(tick, 1)
    tick()
  })
}

/** Polls fn() every `every` ms until it returns truthy; rejects after timeoutMs. */
async function waitFor (what, fn, timeoutMs, every = 5) {
  const t0 = now()
  for (;;) {
    const v = await fn()
    if (v) return v
    if (now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(every)
  }
}

/** SIGKILLs whatever of `pids` is still alive; returns those pids. */
function killLeftovers (pids) {
  const left = pids.filter(alive)
  for (const pid of left) {
    try { process.kill(pid, 'SIGKILL') } catch (e) {}
  }
  return left
}

/** elife/pm from PM_ROOT. Another engineer may be rebuilding the addon: retry a few times. */
function loadPm () {
  let lastErr
  for (let i = 0; i < 5; i++) {
    try {
      return require(PM_ROOT)
    } catch (e) {
      lastErr = e
      for (const k of Object.keys(require.cache)) if (k.startsWith(PM_ROOT) && !k.includes('node_modules') && !k.includes(path.sep + 'bench' + path.sep)) delete require.cache[k]
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000)
    }
  }
  throw lastErr
}

function loadPm2 () {
  return require(path.join(ROOT, 'node_modules', '@elife', 'pm2'))
}

function gc () {
  if (typeof global.gc === 'function') { global.gc(); global.gc() }
}

module.exports = { cpu, cpuSince, threadCpu, ROOT, PM_ROOT, FIXTURES, now, sleep, mib, median, eventLoopMonitor, peakRss, alive, whenAllDead, waitFor, killLeftovers, loadPm, loadPm2, gc, fs }
