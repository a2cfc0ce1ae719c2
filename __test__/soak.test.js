'use strict'
// A soak: ~100 services (idle, crashing, printing, with onstopping, sending messages), a random
// killer (SIGKILL to random service pids) and random concurrent API calls, for SOAK_MS (15 s
// here; `npm run soak` runs a minute, or SOAK_MS). Same-tick calls on one name check that calls
// act in the order they were made. Then stopall() must resolve and leave nothing: no process,
// no zombie, no fd, no 'start' without its 'exit', and memory near where it began.
// The main process is a child Node process (fixtures/soak/main.js), so a hang is a failure
// after a timeout, not a stuck runner.

const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { FIXTURES, ROOT } = require('./helpers')

const SOAK_MS = Number(process.env.SOAK_MS || 15000)
const SERVICES = Number(process.env.SOAK_SERVICES || 100)
/** Startup of 100 services, the settling of every call and stopall(), on a loaded 2-core machine. */
const SLACK_MS = 120000
/** What pm may keep after everything stopped: allocator caches, the runtime's threads. */
const RSS_SLACK = 32 * 1024 * 1024
const MiB = (n) => (n / 1048576).toFixed(1) + ' MiB'

function runSoak () {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(FIXTURES, 'soak', 'main.js')], {
      cwd: ROOT,
      env: Object.assign({}, process.env, { SOAK_MS: String(SOAK_MS), SOAK_SERVICES: String(SERVICES) }),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), SOAK_MS + SLACK_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const m = /\nRESULT (.*)\n/.exec(stdout)
      if (m) return resolve(JSON.parse(m[1]))
      reject(new Error(`the soak's main process ended with ${signal || 'code ' + code}` +
        (signal === 'SIGKILL' ? ` (it hung past ${SOAK_MS + SLACK_MS} ms)` : '') +
        `\nstdout: ${stdout.slice(-3000)}\nstderr: ${stderr.slice(-3000)}`))
    })
  })
}

test(`soak: ${SERVICES} services, a random killer and concurrent calls for ${SOAK_MS} ms leave nothing behind`, { timeout: SOAK_MS + SLACK_MS + 10000 }, async (t) => {
  const r = await runSoak()
  t.diagnostic(JSON.stringify(r))
  t.diagnostic(`${r.startEvents} starts, ${r.kills} kills, ops ${JSON.stringify(r.ops)}, stopall ${r.stopallMs} ms, ` +
    `fds ${r.fds.base} -> ${r.fds.end}, threads ${r.threads.base} -> ${r.threads.end}, ` +
    `rss ${MiB(r.rss.base)} -> peak ${MiB(r.rss.peak)} -> ${MiB(r.rss.end)}, event loop p99 ${r.loopP99} ms, ` +
    `violations ${r.violationCount}, leftovers ${r.leftover.length}, zombies ${r.zombies.length}`)
  for (const s of r.samples) {
    t.diagnostic(`  ${s.at}: rss ${MiB(s.rss)}, fds ${s.fds}, threads ${s.threads}, listed ${s.listed}, ` +
      `event loop p99 ${s.loopP99} ms (JS thread ${s.jsRunMs} ms on a CPU, ${s.jsWaitMs} ms waiting for one; load ${s.load.toFixed(1)})`)
  }
  assert.ok(r.startEvents >= SERVICES, 'the soak started its services')
  const slowest = Math.max.apply(null, [0].concat(r.stopallTimes))
  assert.ok(slowest <= 20000, `a stopall() made during the chaos took ${slowest} ms (registry then: ${JSON.stringify(r.slowStopalls)})`)
  const checked = Object.values(r.checked).reduce((a, b) => a + b, 0)
  assert.ok(checked >= 3, `only ${checked} same-tick bursts could be checked: ${JSON.stringify(r.checked)}`)
  assert.deepStrictEqual(r.violations, [], 'calls acted out of order')
  assert.deepStrictEqual(r.unsettled, [], 'calls that never settled')
  assert.strictEqual(r.stopall, 'resolved')
  assert.ok(r.maxList <= 1.5 * SERVICES + 20, `the registry grew to ${r.maxList} entries`)
  assert.strictEqual(r.startsWithoutExit, 0, `${r.startsWithoutExit} of ${r.startEvents} 'start' events had no 'exit'`)
  assert.strictEqual(r.listAfter, 0, 'list() after stopall()')
  assert.deepStrictEqual(r.leftover, [], 'processes left running')
  assert.deepStrictEqual(r.zombies, [], 'zombies left')
  assert.ok(r.fds.end <= r.fds.base + 4, `fds: ${r.fds.base} before, ${r.fds.end} after`)
  const maxThreads = Math.max.apply(null, r.samples.map((s) => s.threads))
  assert.ok(maxThreads <= r.threads.base + 16, `threads grew from ${r.threads.base} to ${maxThreads}`)
  assert.ok(r.rss.end <= r.rss.base + RSS_SLACK,
    `RSS ${MiB(r.rss.base)} before, ${MiB(r.rss.end)} after everything stopped (peak ${MiB(r.rss.peak)})`)
})
