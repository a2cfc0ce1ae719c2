'use strict'
// Every JavaScript and Python example in README.md runs as written (the convention is in
// __test__/readme.js): each block whose first line is `// main.js` is the main process of an
// app run on the real Electron 9.4.1 (under xvfb-run, unpacked, as `electron .` runs it in
// development), with the package installed from its `npm run pack` tarball and every file the
// other blocks name (`// services/db/index.js`, `# services/worker.py`) written to its path in
// the app. fixtures/readme-harness.js loads main.js, records what happens, and quits the app
// once it has settled. An example fails when it throws (or rejects), a service exits or errors
// before the quit (a one-shot task that completes is fine), a send() reaches nothing, a stop() or restart() finds nothing to act on, the
// app exits unasked or not with 0, a service is killed at its stop timeout, or a process is
// left once Electron exited. Every named file must be run by some app.
//
// Fails, never skips, without Electron or xvfb-run. Run: node --test __test__/readme.test.js

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { readmeBlocks } = require('./readme')
const { requireElectron, runElectronApp, tail } = require('./electron-app')
const { pack } = require('../scripts/pack')

const HARNESS = path.join(__dirname, 'fixtures', 'readme-harness.js')
const blocks = readmeBlocks()
const runnable = blocks.filter((b) => b.kind && !b.skip)
const apps = runnable.filter((b) => b.name === 'main.js')
const files = runnable.filter((b) => b.name && b.name !== 'main.js')
/** The scripts each app started (resolved start() calls), for the check that every file ran. */
const ran = new Set()

let tmp
let modules

before(() => {
  requireElectron()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-readme-'))
  // The package as the README says to install it: the `npm run pack` tarball.
  const { tgz } = pack({ out: path.join(tmp, 'dist') })
  modules = path.join(tmp, 'installed')
  fs.mkdirSync(modules)
  fs.writeFileSync(path.join(modules, 'package.json'), JSON.stringify({ name: 'readme-app', version: '1.0.0', private: true }) + '\n')
  const r = childProcess.spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tgz],
    { cwd: modules, encoding: 'utf8' })
  assert.equal(r.status, 0, `npm install ${tgz} failed\n${r.stdout}\n${r.stderr}`)
})

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

test('every JavaScript and Python block in README.md names its file or is marked as a fragment', (t) => {
  const unnamed = blocks.filter((b) => b.kind && !b.skip && !b.name)
  assert.deepEqual(unnamed.map((b) => `README.md:${b.line}: ${b.code.split('\n')[0]}`), [],
    'name the file on the block\'s first line (`// main.js`, `# services/x.py`), or put ' +
    '`<!-- readme-test: skip (why) -->` on the line before the fence')
  const seen = new Map()
  for (const b of files) {
    assert.ok(!seen.has(b.name), `README.md:${b.line} and README.md:${seen.get(b.name)} both define ${b.name}`)
    seen.set(b.name, b.line)
  }
  assert.ok(apps.length >= 1, 'README.md has no `// main.js` example')
  for (const b of blocks.filter((x) => x.kind && x.skip)) t.diagnostic(`not run: README.md:${b.line} (${b.skip})`)
})

function readEvents (out) {
  try {
    return fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  } catch (e) {
    return []
  }
}

for (const [i, main] of apps.entries()) {
  test(`README.md:${main.line}: the main.js example runs in Electron 9.4.1 and quits cleanly`, { timeout: 150000 }, async (t) => {
    const app = path.join(tmp, `app-${i + 1}`)
    const out = path.join(tmp, `out-${i + 1}`)
    fs.mkdirSync(out, { recursive: true })
    fs.cpSync(path.join(modules, 'node_modules'), path.join(app, 'node_modules'), { recursive: true })
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: `readme-app-${i + 1}`, version: '1.0.0', private: true, main: 'readme-harness.js' }) + '\n')
    fs.copyFileSync(HARNESS, path.join(app, 'readme-harness.js'))
    for (const b of [main, ...files]) {
      fs.mkdirSync(path.dirname(path.join(app, b.name)), { recursive: true })
      fs.writeFileSync(path.join(app, b.name), b.code)
    }

    const r = await runElectronApp(app, { env: { README_TEST_OUT: out } })
    const events = readEvents(out)
    const why = [
      `README.md:${main.line}, run in ${app}: exit ${r.code}, signal ${r.signal}${r.timedOut ? ', killed after the timeout' : ''}`,
      'events:', ...events.map((e) => '  ' + JSON.stringify(e).slice(0, 400)),
      'stderr:', tail(r.stderr), 'stdout:', tail(r.stdout)
    ].join('\n')

    const errors = events.filter((e) => e.event === 'error')
    assert.deepEqual(errors.map((e) => `${e.kind}: ${e.message}`), [], 'the example failed\n' + why)
    assert.equal(r.timedOut, false, why)
    const quitting = events.findIndex((e) => e.event === 'quitting')
    assert.ok(quitting >= 0, 'the app ended before it was asked to quit\n' + why)
    assert.equal(r.code, 0, 'Electron should exit 0\n' + why)
    assert.equal(r.signal, null, why)

    const pmErrors = events.filter((e) => e.event === 'pm-error')
    assert.deepEqual(pmErrors.map((e) => e.payload), [], 'pm reported errors\n' + why)
    // A one-shot task's exit 0 (`completed`) is its success, not a crash.
    const crashes = events.slice(0, quitting).filter((e) => e.event === 'pm-exit' && !e.payload.requested && !e.payload.completed)
    assert.deepEqual(crashes.map((e) => e.payload), [], 'a service exited by itself before the quit\n' + why)
    const stops = events.slice(quitting).filter((e) => e.event === 'pm-exit')
    assert.deepEqual(stops.filter((e) => !e.payload.requested || e.payload.killed).map((e) => e.payload), [],
      'on quit, every service is asked to stop and stops in time\n' + why)

    const calls = events.filter((e) => e.event === 'call')
    for (const c of calls) {
      t.diagnostic(`${c.call}(${JSON.stringify(c.target)}) -> ${JSON.stringify('returned' in c ? c.returned : c.resolved)}`)
      const what = `${c.call}(${JSON.stringify(c.target)})`
      assert.equal(c.threw, undefined, `${what} threw\n` + why)
      assert.equal(c.rejected, undefined, `${what} rejected\n` + why)
      if (c.call === 'send') assert.ok(c.returned >= 1, `${what} reached nothing (returned ${c.returned})\n` + why)
      if (c.call === 'stop' || c.call === 'restart') assert.ok(c.resolved.length >= 1, `${what} found nothing to act on (resolved [])\n` + why)
      if (c.call === 'start' && c.resolved) ran.add(path.relative(app, c.resolved.script))
    }
    assert.ok(calls.some((c) => c.call === 'start'), 'the example started no service\n' + why)
    assert.deepEqual(r.left, [], 'processes left behind after Electron exited\n' + why)
  })
}

test('every file a README block names is run by one of the main.js examples', () => {
  const notRun = files.filter((b) => !ran.has(b.name))
  assert.deepEqual(notRun.map((b) => `README.md:${b.line}: ${b.name}`), [],
    `started: ${[...ran].join(', ') || 'nothing'}`)
})
