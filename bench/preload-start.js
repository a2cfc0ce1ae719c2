'use strict'
// What the preload of Node services (lib/run-as-node-preload.js, issue 21) costs a service's
// start, on Electron's binary as pm runs it: ELECTRON_RUN_AS_NODE=1 and Node's IPC channel on
// fd 3. Two measures, each over many runs, with and without the preload taking turns:
//
//   start  from spawn() to the service's first line on stdout (the whole start, as a service
//          and pm's log see it): median, p90 and mean per variant, and the difference
//   self   inside the service: the time `require(<preload>)` takes, first thing in the script
//          (the preload's own share, free of the start's noise)
//
//   node bench/preload-start.js [--runs N] [--electron PATH]
//
// Default: 100 runs per variant, on the Electron 9.4.1 that scripts/electron-path.js finds.

const childProcess = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const PRELOAD = path.join(ROOT, 'lib', 'run-as-node-preload.js')

function arg (name, fallback) {
  const at = process.argv.indexOf(name)
  return at > 0 ? process.argv[at + 1] : fallback
}

const RUNS = Number(arg('--runs', 100))
const ELECTRON = arg('--electron', null) || require('../scripts/electron-path').electronPath()

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-preload-bench-'))
const SERVICE = path.join(dir, 'service.js')
const SELF = path.join(dir, 'self.js')
fs.writeFileSync(SERVICE, "process.stdout.write('up\\n')\n")
fs.writeFileSync(SELF, `const t = process.hrtime()
require(${JSON.stringify(PRELOAD)})
const d = process.hrtime(t)
process.stdout.write((d[0] * 1e3 + d[1] / 1e6) + '\\n')
`)

function env () {
  const e = Object.assign({}, process.env, { ELECTRON_RUN_AS_NODE: '1' })
  for (const k of ['NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE']) delete e[k]
  return e
}

/** Spawns `args` on Electron as pm would; resolves with ms to the first stdout line and the line. */
function once (args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = childProcess.spawn(ELECTRON, args, { env: env(), stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let out = ''
    let ms = null
    child.stdout.on('data', (d) => {
      if (ms === null) ms = Number(process.hrtime.bigint() - t0) / 1e6
      out += d
    })
    child.on('error', reject)
    child.on('exit', () => {
      child.disconnect && child.connected && child.disconnect()
    })
    child.on('close', (code) => code === 0 && ms !== null ? resolve({ ms, line: out.trim() }) : reject(new Error(`exit ${code}: ${out}`)))
  })
}

function stats (xs) {
  const s = xs.slice().sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]
  return { median: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0], n: s.length }
}

const f = (x) => x.toFixed(2)

async function main () {
  const version = childProcess.execFileSync(ELECTRON, ['-p', 'process.versions.electron + " / Node " + process.versions.node'], { env: env(), encoding: 'utf8' }).trim()
  console.log(`Electron ${version} (${ELECTRON}), ${RUNS} runs per variant, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  // Warm the page cache first.
  for (let i = 0; i < 3; i++) await once([SERVICE])
  const without = []
  const withPreload = []
  const self = []
  for (let i = 0; i < RUNS; i++) {
    // Take turns, so both variants see the same minutes of a machine whose load drifts.
    const order = i % 2 ? ['with', 'without'] : ['without', 'with']
    for (const v of order) {
      const r = await once(v === 'with' ? ['--require', PRELOAD, SERVICE] : [SERVICE])
      ;(v === 'with' ? withPreload : without).push(r.ms)
    }
    self.push(Number((await once([SELF])).line))
  }
  const a = stats(without)
  const b = stats(withPreload)
  const c = stats(self)
  console.log('\n| spawn → first line (ms) | median | p90 | mean | min |')
  console.log('| --- | ---: | ---: | ---: | ---: |')
  console.log(`| without the preload | ${f(a.median)} | ${f(a.p90)} | ${f(a.mean)} | ${f(a.min)} |`)
  console.log(`| with the preload | ${f(b.median)} | ${f(b.p90)} | ${f(b.mean)} | ${f(b.min)} |`)
  console.log(`| difference | ${f(b.median - a.median)} | ${f(b.p90 - a.p90)} | ${f(b.mean - a.mean)} | ${f(b.min - a.min)} |`)
  console.log(`\nthe preload's own require(), inside the service (ms): median ${f(c.median)}, p90 ${f(c.p90)}, mean ${f(c.mean)}, max ${f(Math.max.apply(null, self))}`)
  fs.rmSync(dir, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
