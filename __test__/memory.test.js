'use strict'
// What a running service costs the main process, fresh and after many services came and
// went. Buffers kept at a size that a quiet service never needs cost their full size once the
// allocator recycles pages earlier services touched (it was 400-460 KiB per service after
// 2,000 services, against 50-90 KiB fresh); src/logs/pump.rs grows buffers only when needed.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT, tmpdir } = require('./helpers')

const CHURN = 300
const dir = tmpdir('memory')
fs.writeFileSync(path.join(dir, 'idle.js'), 'console.log("hello"); setInterval(() => {}, 1000)\n')

const MAIN = `
  const pm = require(${JSON.stringify(ROOT)})
  const path = require('path')
  const svc = (name) => ({ script: ${JSON.stringify(path.join(dir, 'idle.js'))}, name, log: ${JSON.stringify(path.join(dir, 'idle.log'))} })
  const rss = () => process.memoryUsage().rss / 1024
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300))
  async function running (n) {
    await Promise.all(Array.from({ length: n }, (_, i) => pm.start(svc('m' + i))))
    await settle()
    global.gc()
    return rss()
  }
  ;(async () => {
    global.gc()
    const base = rss()
    const fresh = (await running(50) - base) / 50
    await pm.stopall()
    for (let i = 0; i < ${CHURN}; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => pm.start(svc('c' + j))))
      await pm.stopall()
    }
    const after = (await running(50) - base) / 50
    await pm.stopall()
    console.log(JSON.stringify({ freshKiB: Math.round(fresh), afterChurnKiB: Math.round(after) }))
  })()
`

test(`a running service costs the main process little, also after ${CHURN} services came and went`, () => {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', MAIN], { encoding: 'utf8', timeout: 180000 })
  assert.strictEqual(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout.trim().split('\n').pop())
  console.log('# memory:', JSON.stringify(got))
  // RSS above the process's own before any service, per running service.
  assert.ok(got.afterChurnKiB < 160, `after churn a service costs ${got.afterChurnKiB} KiB (fresh: ${got.freshKiB} KiB)`)
})
