'use strict'
// The demo end to end: `node scripts/demo.js --smoke --screenshot <tmp>/demo.png` packs this
// package with npm pack, installs it into the demo app, packs that into app.asar and runs it on
// a real Electron 9.4.1 (under xvfb-run without a DISPLAY) until every service has shown that
// it works. Checks: exit 0, a real PNG of the window, nothing left running, the services'
// logs still where the demo said they are, and what the window showed (read from its DOM by the
// app): flaky's card with the last lines of its crash (the 'exit' event's lastLines), and api's
// logs pane, opened late, filled from pm.logs() with api's first line.
//
// Needs Electron (scripts/electron-path.js finds or downloads it) and xvfb-run or a DISPLAY:
// without them the demo, and so this test, fails; it never skips.
// Run: node --test __test__/demo.test.js

const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { sleep, cmdline, describePid, isAlive } = require('./helpers')

const ROOT = path.join(__dirname, '..')
/** npm pack, npm install, asar and the smoke run itself (which gives up after 60 s). */
const TIMEOUT = 180000
/** How long the services and Electron get to disappear once the demo exited. */
const GONE_WITHIN = 3000

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-demo-test-'))
let child = null
let reported = { pids: [], staging: null, logs: null }

/** Every live process whose command line names the staging directory: Electron, its services. */
function stagingProcesses (staging) {
  const found = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    if (cmdline(name).includes(staging) && isAlive(name)) found.push(Number(name))
  }
  return found
}

async function leftovers (pids, staging) {
  const until = Date.now() + GONE_WITHIN
  let left
  for (;;) {
    left = [...new Set([...pids.filter(isAlive), ...(staging ? stagingProcesses(staging) : [])])]
    if (left.length === 0 || Date.now() > until) break
    await sleep(50)
  }
  return left.map(describePid)
}

function runDemo (args) {
  const env = { ...process.env }
  delete env.NODE_TEST_CONTEXT
  delete env.NODE_OPTIONS
  return new Promise((resolve) => {
    const startedAt = Date.now()
    const r = { stdout: '', stderr: '', code: null, signal: null, timedOut: false }
    // Its own process group, so that a hung run can be ended with everything it started.
    child = childProcess.spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.js'), ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child.stdout.on('data', (d) => { r.stdout += d })
    child.stderr.on('data', (d) => { r.stderr += d })
    const timer = setTimeout(() => {
      r.timedOut = true
      try { process.kill(-child.pid, 'SIGKILL') } catch (e) {}
    }, TIMEOUT - 10000)
    child.on('error', (err) => { r.error = err })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      r.code = code
      r.signal = signal
      r.ms = Date.now() - startedAt
      resolve(r)
    })
  })
}

function tail (s, n = 60) {
  return String(s).trim().split('\n').slice(-n).join('\n')
}

function pngSize (buf) {
  const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  assert.ok(buf.length > 33, `the PNG is only ${buf.length} bytes`)
  assert.deepEqual(buf.subarray(0, 8), SIGNATURE, 'not a PNG: wrong signature')
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR', 'not a PNG: the first chunk is not IHDR')
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) }
}

after(() => {
  // Whatever a failed run left: the demo's process group, the services it reported.
  if (child) {
    try { process.kill(-child.pid, 'SIGKILL') } catch (e) {}
  }
  const strays = [...reported.pids, ...(reported.staging ? stagingProcesses(reported.staging) : [])]
  for (const pid of strays) {
    try { process.kill(pid, 'SIGKILL') } catch (e) {}
  }
  if (reported.staging) fs.rmSync(reported.staging, { recursive: true, force: true })
  // This run's kept userData (.cache/demo-runs/<run>), whose logs the test read.
  if (reported.logs) fs.rmSync(path.dirname(reported.logs), { recursive: true, force: true })
  fs.rmSync(tmp, { recursive: true, force: true })
})

test('npm run demo -- --smoke: every service works, the window is saved as a PNG, nothing is left running', { timeout: TIMEOUT }, async () => {
  const png = path.join(tmp, 'demo.png')
  const r = await runDemo(['--smoke', '--screenshot', png])

  const staging = /^demo\.js: staging (\S+)$/m.exec(r.stdout)
  const pids = /^demo: service pids: ([\d ]+)$/m.exec(r.stdout)
  const logs = /^demo\.js: the services' logs are kept in (\S+)$/m.exec(r.stdout)
  reported = {
    staging: staging ? staging[1] : null,
    pids: pids ? pids[1].trim().split(/\s+/).map(Number) : [],
    logs: logs && path.isAbsolute(logs[1]) && logs[1].includes(`${path.sep}demo-runs${path.sep}`) ? logs[1] : null
  }
  // Before anything else, while it still means something: what is left running?
  const left = await leftovers(reported.pids, reported.staging)

  const why = [
    `exit code ${r.code}, signal ${r.signal}` + (r.timedOut ? ', KILLED (timeout)' : '') +
      (r.error ? `, ${r.error.message}` : '') + `, ${r.ms} ms`,
    'stdout (tail):', tail(r.stdout),
    'stderr (tail):', tail(r.stderr)
  ].join('\n')

  assert.equal(r.timedOut, false, why)
  assert.equal(r.code, 0, 'the demo should exit 0\n' + why)
  assert.match(r.stdout, /^demo: every service works .*flaky's card shows its crash's last lines/m, why)
  // The crash's error line from lastLines, found in flaky's card; the logs pane's first line is
  // api's first, printed long before the pane opened (the card keeps only the last three).
  assert.match(r.stdout, /^demo: flaky crashed; its window card shows the last lines pm kept: Error: simulated crash after \d+ ms$/m, why)
  const pane = /^demo: the logs pane of api, opened ([\d.]+) s into the run, shows (\d+) lines from pm\.logs\(\), the first: serving app\.asar\/services\/api\/data\.json on http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(r.stdout)
  assert.ok(pane, 'the logs pane should fill from pm.logs()\n' + why)
  assert.ok(Number(pane[2]) > 3, `the pane shows ${pane[2]} lines`)
  assert.match(r.stdout, /^demo: all services stopped/m, why)

  assert.ok(reported.staging, 'the demo should print its staging directory\n' + why)
  // Four services, and flaky twice more.
  assert.ok(reported.pids.length >= 6, `the demo should print the pids of every service it ran\n${why}`)
  assert.deepEqual(left, [], 'processes left behind after the demo exited\n' + why)
  assert.equal(fs.existsSync(reported.staging), false, `the staging directory ${reported.staging} should be gone`)

  // The logs the app pointed at (console and footer) are still there, with every service's lines.
  assert.ok(reported.logs, 'the demo should say where the services\' logs are kept\n' + why)
  const appSaid = /^demo: .*; logs in (\S+)$/m.exec(r.stdout)
  assert.equal(appSaid && appSaid[1], reported.logs, 'the app and demo.js should name the same logs directory\n' + why)
  for (const name of ['api', 'hello', 'flaky', 'chatty']) {
    const file = path.join(reported.logs, name + '.log')
    assert.ok(fs.existsSync(file) && fs.statSync(file).size > 0, `${file} should be kept, with lines in it`)
  }
  // The pane's first line is the log's first line of api.
  const apiFirst = fs.readFileSync(path.join(reported.logs, 'api.log'), 'utf8').split('\n')[0]
  assert.ok(apiFirst.endsWith(` out: serving app.asar/services/api/data.json on http://127.0.0.1:${pane[3]}/`), apiFirst)
  assert.match(fs.readFileSync(path.join(reported.logs, 'flaky.log'), 'utf8'), / err: Error: simulated crash after \d+ ms$/m)

  assert.ok(fs.existsSync(png), `no screenshot at ${png}\n` + why)
  const buf = fs.readFileSync(png)
  const size = pngSize(buf)
  assert.ok(size.width >= 800 && size.height >= 500, `the screenshot is ${size.width}x${size.height}`)
  // A blank or nearly blank window compresses to a few kB; the real one has text everywhere.
  assert.ok(buf.length > 30000, `the screenshot is only ${buf.length} bytes: is the window empty?`)
})
