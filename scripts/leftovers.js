#!/usr/bin/env node
'use strict'
// The end of `npm test` (and of `npm run test:windows` run on its own): no process of the run
// may be left. The run exports a marker variable (scripts/run-mark.sh) that every process it
// starts inherits, Xvfb, Wine and the services included; this finds every process whose
// environment still carries it, the way Jenkins' ProcessTreeKiller does.
//
//   node scripts/leftovers.js VAR [--grace MS]
//
// VAR names the marker variable; its value in this process's environment is the marker. This
// process and its ancestors (the test script that runs it) carry the marker too and are left
// out. Processes get up to --grace ms (default 10000) to go away by themselves; whatever is
// still there then is listed (pid, parent, command line), killed (SIGKILL, by pid: they are
// this run's), and the exit code is 1. Linux only (/proc).

const fs = require('fs')

const POLL_MS = 100

function usage () {
  return 'usage: node scripts/leftovers.js VAR [--grace MS]'
}

function parseArgs (argv) {
  const opts = { name: null, grace: 10000 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--grace') {
      opts.grace = Number(argv[++i])
      if (!Number.isFinite(opts.grace) || opts.grace < 0) throw new Error('--grace needs a number of ms\n' + usage())
    } else if (!opts.name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) opts.name = a
    else throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage()}`)
  }
  if (!opts.name) throw new Error(usage())
  return opts
}

function read (file) {
  try {
    return fs.readFileSync(file, 'latin1')
  } catch (e) {
    return null
  }
}

/** { ppid, state } from /proc/<pid>/stat, or null when the process is gone. */
function stat (pid) {
  const text = read(`/proc/${pid}/stat`)
  if (!text) return null
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0], ppid: Number(fields[1]) }
}

function cmdline (pid) {
  const text = read(`/proc/${pid}/cmdline`)
  return text ? text.split('\0').filter(Boolean).join(' ') : `[${(read(`/proc/${pid}/comm`) || '?').trim()}]`
}

/** This process and the processes it descends from. */
function ancestors () {
  const out = new Set()
  for (let pid = process.pid; pid > 1 && !out.has(pid);) {
    out.add(pid)
    const s = stat(pid)
    if (!s) break
    pid = s.ppid
  }
  return out
}

/** Live processes (zombies do not count) whose environment has the entry `needle`. */
function holders (needle, skip) {
  const found = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (skip.has(pid)) continue
    const environ = read(`/proc/${pid}/environ`)
    if (!environ || !environ.split('\0').includes(needle)) continue
    const s = stat(pid)
    if (s && s.state !== 'Z' && s.state !== 'X') found.push({ pid, ppid: s.ppid, cmdline: cmdline(pid) })
  }
  return found
}

function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const value = process.env[opts.name]
  if (!value) throw new Error(`${opts.name} is not set: there is no run to check`)
  const needle = `${opts.name}=${value}`
  const skip = ancestors()
  const t0 = Date.now()
  let left = holders(needle, skip)
  while (left.length && Date.now() - t0 < opts.grace) {
    await sleep(POLL_MS)
    left = holders(needle, skip)
  }
  if (!left.length) {
    process.stdout.write(`leftovers: no process of this run is left (${opts.name}=${value})\n`)
    return 0
  }
  const waited = ((Date.now() - t0) / 1000).toFixed(1)
  process.stdout.write(`leftovers: ${left.length} process(es) of this run still running ${waited} s after it ended:\n`)
  for (const p of left) process.stdout.write(`  pid ${p.pid} (parent ${p.ppid}): ${p.cmdline}\n`)
  // Ours (they carry this run's marker): end them, so that a failed check leaves nothing either.
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch (e) {}
  }
  const until = Date.now() + 5000
  let still = holders(needle, skip)
  while (still.length && Date.now() < until) {
    await sleep(POLL_MS)
    still = holders(needle, skip)
  }
  if (still.length) process.stdout.write(`leftovers: could not end ${still.map((p) => p.pid).join(', ')}\n`)
  else process.stdout.write('leftovers: ended them (SIGKILL)\n')
  return 1
}

main().then((code) => {
  process.exitCode = code
}, (err) => {
  process.stderr.write(`leftovers: ${err && err.message ? err.message : err}\n`)
  process.exitCode = 2
})
