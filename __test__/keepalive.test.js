'use strict'
// Keep-alive under load: a plain Node main process whose only service ends must itself end,
// every time. The native side decides (src/keep_alive.rs); these runs are the proof that there
// is no window in which the last event was handled and the loop is still held. Each scenario
// runs 100 times with both cores kept busy.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { ROOT, tmpdir } = require('./helpers')

const RUNS = 100
const PARALLEL = 4
const RUN_LIMIT_MS = 20000

const dir = tmpdir('keepalive')
fs.writeFileSync(path.join(dir, 'quick.js'), 'process.exit(3)\n')
fs.writeFileSync(path.join(dir, 'chatty.js'), 'for (let i = 0; i < 50; i++) console.log("line " + i)\nprocess.exitCode = 0\n')
// Executable, but its interpreter does not exist: the spawn itself fails.
fs.writeFileSync(path.join(dir, 'unspawnable.sh'), '#!/nonexistent/elife-pm-shell\n', { mode: 0o755 })

const PM = JSON.stringify(ROOT)
const MAINS = {
  'ends at once': `require(${PM}).start({ script: ${JSON.stringify(path.join(dir, 'quick.js'))}, restartAt: [] })`,
  'ends after logging': `require(${PM}).start({ script: ${JSON.stringify(path.join(dir, 'chatty.js'))}, restartAt: [], log: ${JSON.stringify(path.join(dir, 'chatty.log'))} })`,
  'first spawn fails': `require(${PM}).start({ script: ${JSON.stringify(path.join(dir, 'unspawnable.sh'))}, restartAt: [] }).catch(() => {})`
}

// Both cores busy for the duration of the test.
function burners () {
  const code = 'const end = Date.now() + 120000; while (Date.now() < end) {}'
  return [0, 1].map(() => spawn(process.execPath, ['-e', code], { stdio: 'ignore' }))
}

function runMain (code) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ hung: true, stderr })
    }, RUN_LIMIT_MS)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ hung: false, code, stderr })
    })
  })
}

async function runMany (code, n) {
  const results = []
  let next = 0
  async function worker () {
    while (next < n) {
      next++
      results.push(await runMain(code))
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  return results
}

for (const [scenario, code] of Object.entries(MAINS)) {
  test(`a main process whose only service ${scenario} ends, ${RUNS} times with both cores busy`, async () => {
    const load = burners()
    try {
      const results = await runMany(code, RUNS)
      const hung = results.filter((r) => r.hung)
      assert.strictEqual(hung.length, 0, `${hung.length} of ${RUNS} runs hung; stderr of one: ${hung.length ? hung[0].stderr : ''}`)
      const failed = results.filter((r) => r.code !== 0)
      assert.strictEqual(failed.length, 0, `exit codes: ${failed.map((r) => r.code)}; stderr: ${failed.length ? failed[0].stderr : ''}`)
    } finally {
      load.forEach((c) => c.kill('SIGKILL'))
    }
  })
}
