'use strict'
// elife/pm inside a real Electron 9.4.1 main process, packaged the way apps ship: the fixture
// app (__test__/fixtures/electron-app) plus a copy of this package in node_modules/elife is
// packed into <tmp>/resources/app.asar with the .node addon unpacked (and the fixture's py/*.py
// and sh/*.sh, as electron-builder's asarUnpack would; elife's own python/ helper stays packed),
// and each scenario runs it under `xvfb-run -a` (Electron's main process needs a display).
// main.js writes what it sees to $PM_TEST_OUT/main.jsonl; the services write their own reports
// there. Each run gets its own userData (where pm keeps its run records) unless a test has runs
// share one, and TMPDIR inside the suite's temporary directory.
//
// Needs Electron (scripts/electron-path.js finds or downloads it) and xvfb-run: without them the
// suite fails, it does not skip. Run: node --test __test__/electron.test.js

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { sleep, procState, describePid, isAlive } = require('./helpers')
const { checkXvfbRun, endXvfbRun } = require('./xvfb-run')

const { electronPath, ELECTRON_VERSION } = require('../scripts/electron-path')

const ROOT = path.join(__dirname, '..')
const FIXTURE = path.join(__dirname, 'fixtures', 'electron-app')
const ADDON = 'pm.linux-x64-gnu.node'
/**
 * What is unpacked beside app.asar (matched with matchBase: a pattern without a slash matches
 * the file name anywhere): the addon, and the fixture's Python and shell services, but neither
 * py/packed-only/other.py nor elife's python/elife_pm.
 */
const UNPACK = '{*.node,**/py/*.py,**/sh/*.sh}'

const TEST_TIMEOUT = 60000
/** A scenario's Electron is killed after this long. */
const RUN_TIMEOUT = 45000
/** How long processes get to disappear once Electron exited. */
const GONE_WITHIN = 3000
/** A quit, even with a service that has to be killed, must be over within this. */
const PROMPT_QUIT = 10000

let electron
let tmp
let asarPath
let resourcesDir
let tmpdirForElectron
const runs = new Map()
const spawned = []

// ---- helpers -------------------------------------------------------------------------------

/** Every process whose environment carries this run's token: Electron and all it started. */
function tokenHolders (token) {
  const needle = `PM_TEST_TOKEN=${token}`
  const found = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let environ
    try {
      environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1')
    } catch (e) {
      continue
    }
    if (environ.split('\0').includes(needle)) found.push(Number(name))
  }
  return found
}

/** The pids of `pids` still alive (not zombies) after waiting up to `ms` for them to die. */
async function survivors (pids, ms) {
  const until = Date.now() + ms
  for (;;) {
    const left = pids.filter(isAlive)
    if (left.length === 0 || Date.now() > until) return left.map(describePid)
    await sleep(25)
  }
}

/** The pids a ready event reports: every service's, and the grandchildren they reported. */
function readyPids (ready) {
  return Object.values(ready.services).flatMap((s) => [s.pid, s.grandchildPid]).filter(Number.isInteger)
}

/** Tells a run of a holding scenario (mixed-hold) that it may quit now. */
function release (run) {
  fs.writeFileSync(path.join(run.out, 'quit-now'), String(Date.now()))
}

/** The run records pm keeps in an Electron app's userData. */
function runRecords (userData) {
  try {
    return fs.readdirSync(path.join(userData, 'elife-pm')).filter((f) => /^run-\d+\.json$/.test(f)).sort()
  } catch (e) {
    return []
  }
}

/**
 * What is still there after Electron exited: the recorded pids and anything else carrying the
 * run's token. Polls until nothing is left or `within` ms passed; a zombie (exited, not yet
 * reaped by whoever inherited it) only counts as left behind until then.
 */
async function leftovers (pids, token, within = GONE_WITHIN) {
  const until = Date.now() + within
  let left
  for (;;) {
    left = [...new Set([...pids.filter(isAlive), ...tokenHolders(token)])]
    if (left.length === 0 || Date.now() > until) break
    await sleep(25)
  }
  return left.map(describePid).filter((p) => p.state !== 'Z' && p.state !== null)
}

function readJson (file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    return null
  }
}

function readEvents (out) {
  let text = ''
  try {
    text = fs.readFileSync(path.join(out, 'main.jsonl'), 'utf8')
  } catch (e) {
    return []
  }
  return text.split('\n').filter(Boolean).map((line) => {
    try {
      return JSON.parse(line)
    } catch (e) {
      return { event: 'unparseable', line }
    }
  })
}

function tail (s, n = 40) {
  return String(s).trim().split('\n').slice(-n).join('\n')
}

// The package as it would be installed: package.json plus what its "files" field lists.
function copyPackage (dest) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  fs.mkdirSync(dest, { recursive: true })
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dest, 'package.json'))
  const entries = new Set(pkg.files || ['index.js', 'index.d.ts', 'lib/', '*.node'])
  for (const entry of entries) {
    const clean = entry.replace(/\/+$/, '')
    if (clean.includes('*')) {
      // A pattern in its last component only (`*.node`, `python/elife_pm/*.py`).
      const dir = path.posix.dirname(clean) === '.' ? '' : path.posix.dirname(clean)
      assert.ok(!dir.includes('*'), `package.json "files": ${entry} is not handled here`)
      const base = path.posix.basename(clean)
      const re = new RegExp('^' + base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$')
      if (!fs.existsSync(path.join(ROOT, dir))) continue
      fs.mkdirSync(path.join(dest, dir), { recursive: true })
      for (const name of fs.readdirSync(path.join(ROOT, dir))) {
        const rel = path.join(dir, name)
        if (re.test(name) && fs.statSync(path.join(ROOT, rel)).isFile()) copyStable(rel, dest)
      }
    } else if (fs.existsSync(path.join(ROOT, clean))) {
      fs.cpSync(path.join(ROOT, clean), path.join(dest, clean), { recursive: true })
    }
  }
  for (const needed of ['index.js', 'lib', path.join('python', 'elife_pm', '__init__.py'), ADDON]) {
    if (!fs.existsSync(path.join(dest, needed))) {
      throw new Error(`the packaged copy of elife has no ${needed}` +
        (needed === ADDON ? ' (build the addon first: npm run build)' : ''))
    }
  }
}

// The addon may be rebuilt while we copy it: copy until the source did not change meanwhile.
function copyStable (name, dest) {
  const src = path.join(ROOT, name)
  for (let attempt = 0; ; attempt++) {
    const before = fs.statSync(src)
    fs.copyFileSync(src, path.join(dest, name))
    const after = fs.statSync(src)
    const copied = fs.statSync(path.join(dest, name))
    if (before.mtimeMs === after.mtimeMs && before.size === after.size && copied.size === after.size) return
    if (attempt >= 20) throw new Error(`${src} kept changing while being copied`)
    childProcess.execFileSync('sleep', ['0.5'])
  }
}

async function buildApp () {
  const src = path.join(tmp, 'app')
  fs.cpSync(FIXTURE, src, { recursive: true })
  copyPackage(path.join(src, 'node_modules', 'elife'))
  resourcesDir = path.join(tmp, 'resources')
  fs.mkdirSync(resourcesDir)
  asarPath = path.join(resourcesDir, 'app.asar')
  const asar = await import('@electron/asar')
  await asar.createPackageWithOptions(src, asarPath, { unpack: UNPACK })
  const unpacked = path.join(resourcesDir, 'app.asar.unpacked')
  const unpackedAddon = path.join(unpacked, 'node_modules', 'elife', ADDON)
  assert.ok(fs.existsSync(unpackedAddon), `the addon should be unpacked to ${unpackedAddon}`)
  assert.ok(!fs.existsSync(path.join(unpacked, 'services')), 'services/ must stay inside the archive')
  assert.ok(fs.existsSync(path.join(unpacked, 'py', 'hello.py')), 'py/hello.py should be unpacked')
  for (const sh of ['exec.sh', 'family.sh']) {
    const mode = fs.statSync(path.join(unpacked, 'sh', sh)).mode
    assert.ok(mode & 0o100, `sh/${sh} should be unpacked and executable (mode ${mode.toString(8)})`)
  }
  assert.ok(!fs.existsSync(path.join(unpacked, 'py', 'packed-only')), 'py/packed-only/ must stay inside the archive')
  assert.ok(!fs.existsSync(path.join(unpacked, 'node_modules', 'elife', 'python')),
    'elife\'s python/ helper must stay inside the archive')
  const listed = asar.listPackage(asarPath, {}).map((f) => f.split(path.sep).join('/'))
  for (const inside of ['/py/packed-only/other.py', '/node_modules/elife/python/elife_pm/__init__.py']) {
    assert.ok(listed.includes(inside), `${inside} should be packed in app.asar`)
  }
}

// The environment Electron starts with: ours, minus what would change how it runs.
function electronEnv () {
  const env = { ...process.env }
  for (const k of ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ASAR', 'NODE_OPTIONS', 'NODE_CHANNEL_FD',
    'NODE_CHANNEL_SERIALIZATION_MODE', 'ELIFE_PM_PARENT', 'NODE_TEST_CONTEXT']) {
    delete env[k]
  }
  return env
}

/**
 * Runs the app once with PM_TEST_SCENARIO=scenario (once per suite run: tests that look at the
 * same run share it). `onReady(readyEvent, run)` is called once main.js reported its services
 * ready. Resolves after Electron exited and the leftover check is done.
 *
 * options: `key` names the run when one scenario runs more than once (default: the scenario);
 * `userData` is the app's userData directory (default: a new one for this run); `goneWithin`
 * replaces GONE_WITHIN for the leftover check.
 */
function runScenario (scenario, onReady, options = {}) {
  const key = options.key || scenario
  if (!runs.has(key)) runs.set(key, runOnce(scenario, onReady, options))
  return runs.get(key)
}

async function runOnce (scenario, onReady, options) {
  for (let attempt = 1; ; attempt++) {
    const r = await launch(scenario, onReady, attempt, options)
    // `xvfb-run -a` picks a display number without a lock: a concurrent xvfb-run can take the
    // same one first. Only that is retried.
    if (r.code === 1 && /Xvfb failed to start/.test(r.stderr) && r.events.length === 0 && attempt < 3) continue
    return r
  }
}

async function launch (scenario, onReady, attempt, options = {}) {
  const label = options.key || scenario
  const out = path.join(tmp, `out-${label}-${attempt}`)
  fs.mkdirSync(out)
  const userData = options.userData || path.join(out, 'userData')
  const token = crypto.randomBytes(8).toString('hex')
  // Through `env`, so that only Electron and what it starts carry the variables (not Xvfb).
  const args = ['-a', 'env',
    `PM_TEST_OUT=${out}`, `PM_TEST_SCENARIO=${scenario}`, `PM_TEST_TOKEN=${token}`,
    `PM_TEST_USERDATA=${userData}`, `TMPDIR=${tmpdirForElectron}`,
    electron, '--no-sandbox', asarPath]
  const startedAt = Date.now()
  const child = childProcess.spawn('xvfb-run', args, {
    cwd: out,
    env: electronEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const run = { scenario, out, userData, token, child, stdout: '', stderr: '', pids: [] }
  spawned.push(run)
  child.stdout.on('data', (d) => { run.stdout += d })
  child.stderr.on('data', (d) => { run.stderr += d })

  const closed = new Promise((resolve) => child.on('close', resolve))
  const exited = new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: null, signal: null, error: err }))
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  let done = false
  let exit
  exited.then(() => { done = true })

  let ready = null
  const watchReady = (async () => {
    while (!done) {
      ready = readEvents(out).find((e) => e.event === 'ready')
      if (ready) {
        run.pids = readyPids(ready)
        if (onReady) onReady(ready, run)
        return
      }
      await sleep(20)
    }
  })()

  let timer
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), RUN_TIMEOUT) })
  const first = await Promise.race([exited, timedOut])
  clearTimeout(timer)
  if (first === 'timeout') {
    // Through its command, so that xvfb-run stops its Xvfb; then the rest of the group.
    await endXvfbRun(child)
    try { process.kill(-child.pid, 'SIGKILL') } catch (e) {}
    exit = await exited
    exit.timedOut = true
  } else {
    exit = first
  }
  const exitedAt = Date.now()
  await watchReady
  // Output a stray descendant keeps open must not hold us up.
  await Promise.race([closed, sleep(500)])

  // Before any cleanup kill: what is still there?
  const events = readEvents(out)
  const readyEvent = events.find((e) => e.event === 'ready') || null
  if (readyEvent) run.pids = readyPids(readyEvent)
  const left = await leftovers(run.pids, token, options.goneWithin)

  return {
    scenario,
    out,
    userData,
    token,
    code: exit.code,
    signal: exit.signal,
    error: exit.error,
    timedOut: Boolean(exit.timedOut),
    ms: exitedAt - startedAt,
    exitedAt,
    stdout: run.stdout,
    stderr: run.stderr,
    events,
    ready: readyEvent,
    pids: run.pids,
    left,
    leftCheckMs: Date.now() - exitedAt
  }
}

function describeRun (r) {
  return [
    `scenario ${r.scenario}: exit code ${r.code}, signal ${r.signal}` +
      (r.timedOut ? `, KILLED after ${RUN_TIMEOUT} ms` : '') + (r.error ? `, ${r.error.message}` : '') +
      `, ${r.ms} ms (+${r.leftCheckMs} ms until nothing was left)`,
    'main.jsonl:',
    ...r.events.map((e) => '  ' + JSON.stringify(e).slice(0, 600)),
    'stderr (tail):',
    tail(r.stderr),
    'stdout (tail):',
    tail(r.stdout)
  ].join('\n')
}

function event (r, name) {
  return r.events.find((e) => e.event === name)
}

function eventIndex (r, name) {
  return r.events.findIndex((e) => e.event === name)
}

/** What every scenario must show: a clean run that got its services up and left nothing. */
function assertCleanRun (r) {
  const why = describeRun(r)
  assert.equal(r.timedOut, false, why)
  assert.equal(event(r, 'error'), undefined, 'main.js failed\n' + why)
  assert.equal(event(r, 'watchdog'), undefined, 'main.js watchdog fired\n' + why)
  assert.ok(r.ready, 'the services never became ready\n' + why)
  assert.equal(r.code, 0, 'Electron should exit 0\n' + why)
  assert.equal(r.signal, null, why)
  assert.equal(r.pids.length >= 2, true, 'service and grandchild pids should have been recorded\n' + why)
  assert.deepEqual(r.left, [], 'processes left behind after Electron exited\n' + why)
}

function serviceReport (r, name) {
  return readJson(path.join(r.out, `${name}-ready.json`))
}

function assertServiceStoppedPolitely (r, name) {
  const why = describeRun(r)
  const marker = readJson(path.join(r.out, `${name}-onstopping.json`))
  assert.ok(marker, `the service's onstopping handler should have written its marker\n` + why)
  assert.equal(marker.pid, serviceReport(r, name).pid, why)
  return marker
}

function quitDuration (r, from) {
  const start = event(r, from)
  assert.ok(start, `no ${from} event\n` + describeRun(r))
  return r.exitedAt - start.t
}

// ---- setup ---------------------------------------------------------------------------------

before(async () => {
  checkXvfbRun()
  electron = electronPath()
  assert.ok(fs.statSync(electron).isFile(), `no Electron binary at ${electron}`)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-electron-'))
  // Electron's os.tmpdir(): where pm copies its Python helper when elife is packed in app.asar.
  tmpdirForElectron = path.join(tmp, 'tmpdir')
  fs.mkdirSync(tmpdirForElectron)
  await buildApp()
})

after(async () => {
  // Whatever a failed scenario left: xvfb-run (through its command, so that it stops its Xvfb),
  // the rest of its process group, its services and their children.
  for (const run of spawned) {
    await endXvfbRun(run.child)
    try { process.kill(-run.child.pid, 'SIGKILL') } catch (e) {}
    for (const pid of [...run.pids, ...tokenHolders(run.token)]) {
      try { process.kill(pid, 'SIGKILL') } catch (e) {}
    }
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

// ---- tests ---------------------------------------------------------------------------------

test('a service inside app.asar runs on Electron\'s binary, reads its packed data and logs to its file', { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('basic')
  assertCleanRun(r)
  const why = describeRun(r)
  const mainStart = event(r, 'main-start')
  assert.equal(mainStart.electron, ELECTRON_VERSION, why)

  const svc = serviceReport(r, 'svc')
  assert.ok(svc, why)
  // Read from services/data.json, which exists only inside the archive.
  assert.deepEqual(svc.data, { greeting: 'hello from inside app.asar', answer: 42 })
  assert.equal(svc.filename, path.join(asarPath, 'services', 'service.js'))
  // On Electron's own binary, as Node (ELECTRON_RUN_AS_NODE).
  assert.equal(svc.electron, ELECTRON_VERSION)
  assert.equal(svc.node, '12.14.1')
  assert.equal(fs.realpathSync(svc.execPath), fs.realpathSync(electron))
  assert.equal(svc.ppid, mainStart.pid, 'the service is a child of the main process')
  // cwd inside app.asar with no app.asar.unpacked/services: the directory holding app.asar.
  assert.equal(fs.realpathSync(svc.cwd), fs.realpathSync(resourcesDir))
  assert.equal(svc.onstoppingIsFunction, true)

  const started = event(r, 'started').infos
  assert.equal(started.length, 1)
  assert.equal(started[0].name, 'svc')
  assert.equal(started[0].state, 'running')
  assert.equal(started[0].pid, svc.pid)
  assert.equal(started[0].script, path.join(asarPath, 'services', 'service.js'))

  // `log: 'svc.log'` is relative to the main process's cwd (the out dir), outside the archive.
  const log = fs.readFileSync(path.join(r.out, 'svc.log'), 'utf8')
  const lines = log.split('\n').filter(Boolean)
  const prefix = new RegExp(`^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z) svc\\[${svc.pid}\\] (out|err): `)
  for (const line of lines) {
    const m = prefix.exec(line)
    assert.ok(m, `log line without the documented prefix: ${JSON.stringify(line)}\n${log}`)
    const t = Date.parse(m[1])
    assert.ok(t >= mainStart.t - 1000 && t <= r.exitedAt + 1000, `timestamp out of range: ${line}`)
  }
  assert.ok(lines.some((l) => prefix.test(l) && l.endsWith(' out: hello from svc: hello from inside app.asar')), log)
  assert.ok(lines.some((l) => prefix.test(l) && l.endsWith(' err: a line on stderr from svc')), log)
  assert.ok(lines.some((l) => prefix.test(l) && l.endsWith(' out: onstopping ran')), log)
  assert.ok(!r.stdout.includes('hello from svc'), 'a service with a log file must not write to the main process\'s stdout')
})

test('require(\'elife/pm\'), the documented name, resolves in Electron 9 (Node 12.14.1), in the main process and in a service', { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('basic')
  assert.ok(r.ready, describeRun(r))
  assert.deepEqual(event(r, 'require-elife-pm') && { ...event(r, 'require-elife-pm'), t: 0 },
    { event: 'require-elife-pm', t: 0, resolved: true }, 'main process')
  assert.deepEqual(serviceReport(r, 'svc').requireElifePm, { resolved: true }, 'service')
})

test('app.quit(): the main process\'s onstopping runs first, then the service\'s; nothing is left', { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('quit')
  assertCleanRun(r)
  const why = describeRun(r)

  const start = event(r, 'main-onstopping-start')
  const end = event(r, 'main-onstopping-end')
  assert.ok(start && end, 'the main process\'s onstopping handler should have run to its end\n' + why)
  // While the (async, 300 ms) main handler runs, the service is untouched...
  assert.equal(start.services.svc.alive, true, why)
  assert.equal(start.services.svc.onstoppingRan, false, why)
  assert.equal(end.services.svc.alive, true, 'services must not be stopped before the main handlers finished\n' + why)
  assert.equal(end.services.svc.onstoppingRan, false, why)
  // ...then it is asked to stop and runs its own handler.
  const marker = assertServiceStoppedPolitely(r, 'svc')
  assert.ok(marker.t >= end.t, why)
  const exit = r.events.find((e) => e.event === 'pm-exit' && e.payload.name === 'svc')
  assert.ok(exit, why)
  assert.equal(exit.payload.requested, true, why)
  assert.equal(exit.payload.code, 0, 'the service exits by itself after onstopping, it is not killed\n' + why)
  assert.equal(exit.payload.signal, null, why)

  // Electron quit for real, after pm let go of will-quit.
  assert.ok(eventIndex(r, 'quit') > eventIndex(r, 'main-onstopping-end'), why)
  assert.equal(event(r, 'quit').exitCode, 0, why)
  assert.ok(quitDuration(r, 'calling-quit') < PROMPT_QUIT, why)
})

for (const [scenario, order] of [['will-quit', 'before'], ['will-quit-late', 'after']]) {
  test(`an app with its own will-quit handler (registered ${order} pm's, holding the quit for its own cleanup) still quits cleanly`, { timeout: TEST_TIMEOUT }, async () => {
    const r = await runScenario(scenario)
    assertCleanRun(r)
    const why = describeRun(r)
    const calls = r.events.filter((e) => e.event === 'app-will-quit')
    assert.ok(calls.length >= 2, 'the app\'s will-quit handler ran, and again after its cleanup\n' + why)
    assert.equal(calls[0].services.svc.alive, true, why)
    assert.ok(fs.existsSync(path.join(r.out, 'app-cleanup-done')), 'the app\'s own cleanup finished\n' + why)
    assert.ok(fs.existsSync(path.join(r.out, 'main-onstopping-done')), 'pm\'s main-process onstopping ran\n' + why)
    const cleanup = event(r, 'app-cleanup-done')
    assertServiceStoppedPolitely(r, 'svc')
    assert.ok(event(r, 'quit'), 'Electron emitted quit\n' + why)
    assert.ok(eventIndex(r, 'quit') > eventIndex(r, 'app-cleanup-done'), why)
    assert.equal(cleanup.services.svc.alive, true, why)
    assert.ok(quitDuration(r, 'calling-quit') < PROMPT_QUIT, why)
  })
}

for (const [scenario, call] of [['exit', 'app.exit(0)'], ['process-exit', 'process.exit(0)']]) {
  test(`${call}: the services are stopped through their onstopping, nothing is left`, { timeout: TEST_TIMEOUT }, async () => {
    const r = await runScenario(scenario)
    assertCleanRun(r)
    const why = describeRun(r)
    assert.ok(event(r, 'calling-exit'), why)
    // No before-quit or will-quit here: pm relies on process 'exit', which Electron 9 emits.
    assert.equal(event(r, 'will-quit'), undefined, why)
    const exitEvent = event(r, 'process-exit')
    assert.ok(exitEvent, `process 'exit' fires on ${call}\n` + why)
    assert.equal(exitEvent.code, 0, why)
    assertServiceStoppedPolitely(r, 'svc')
    assert.ok(quitDuration(r, 'calling-exit') < PROMPT_QUIT, why)
  })
}

test('SIGTERM to the Electron main process: the app quits, onstopping runs, nothing is left', { timeout: TEST_TIMEOUT }, async () => {
  let signalled = false
  const r = await runScenario('sigterm', (ready) => {
    process.kill(ready.pid, 'SIGTERM')
    signalled = true
  })
  assert.ok(signalled, describeRun(r))
  assertCleanRun(r)
  const why = describeRun(r)
  assert.ok(event(r, 'will-quit'), 'Electron turns SIGTERM into a quit (will-quit)\n' + why)
  assert.ok(event(r, 'main-onstopping-end'), why)
  assert.equal(event(r, 'main-onstopping-end').services.svc.alive, true, why)
  assertServiceStoppedPolitely(r, 'svc')
  assert.ok(quitDuration(r, 'ready') < PROMPT_QUIT, why)
})

test('a service that ignores the stop request is SIGKILLed after its stopTimeout; the quit stays prompt', { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('stubborn')
  assertCleanRun(r)
  const why = describeRun(r)
  const stubborn = serviceReport(r, 'stubborn')
  assert.ok(stubborn, why)
  // Without onstopping, the polite request is SIGTERM, which it ignores.
  assert.ok(readJson(path.join(r.out, 'stubborn-sigterm.json')), 'the stubborn service got SIGTERM\n' + why)
  const exit = r.events.find((e) => e.event === 'pm-exit' && e.payload.name === 'stubborn')
  assert.ok(exit, why)
  assert.equal(exit.payload.signal, 'SIGKILL', why)
  assert.equal(exit.payload.pid, stubborn.pid, why)
  // The well-behaved one beside it still stops by itself.
  assertServiceStoppedPolitely(r, 'svc')
  const svcExit = r.events.find((e) => e.event === 'pm-exit' && e.payload.name === 'svc')
  assert.ok(svcExit && svcExit.payload.code === 0, why)
  const ms = quitDuration(r, 'calling-quit')
  assert.ok(ms < PROMPT_QUIT, `quit took ${ms} ms\n` + why)
  // The 300 ms main handler, then the 300 ms stopTimeout: not killed at once either.
  assert.ok(ms >= 600, `quit took only ${ms} ms: the stopTimeout was not waited for\n` + why)
})

test('the Electron main process SIGKILLed: the service notices, runs its onstopping and exits', { timeout: TEST_TIMEOUT }, async (t) => {
  let signalled = false
  const r = await runScenario('sigkill', (ready) => {
    process.kill(ready.pid, 'SIGKILL')
    signalled = true
  })
  const why = describeRun(r)
  assert.ok(signalled && r.ready, why)
  assert.equal(r.timedOut, false, why)
  // xvfb-run reports its command's death by SIGKILL as 128 + 9.
  assert.equal(r.code, 137, why)
  assert.equal(event(r, 'will-quit'), undefined, 'nothing runs in a SIGKILLed main process\n' + why)
  // pm's channel closes with the main process: the service's own onstopping runs, then it exits.
  assertServiceStoppedPolitely(r, 'svc')
  const svc = serviceReport(r, 'svc')
  assert.ok(!r.left.some((p) => p.pid === svc.pid), `the service (pid ${svc.pid}) is still running\n` +
    JSON.stringify(r.left, null, 2) + '\n' + why)
  // Orphaned, its onstopping's service side kills the service's own process group once the
  // handler ran: what it started itself (its grandchild here) goes with it.
  assert.ok(!r.left.some((p) => p.pid === svc.grandchildPid), `the service's grandchild (pid ${svc.grandchildPid}) is still running\n` +
    JSON.stringify(r.left, null, 2) + '\n' + why)
  for (const p of r.left) t.diagnostic(`still running after the SIGKILL: ${p.pid} ${p.cmdline}`)
})

test('a Python service packed in app.asar runs from app.asar.unpacked under python3 with pm\'s helper; it logs, sends a message and stops through onstopping', { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('python')
  assertCleanRun(r)
  const why = describeRun(r)
  const mainStart = event(r, 'main-start')
  const py = serviceReport(r, 'py')
  assert.ok(py, why)

  // Addressed inside the archive, run from the unpacked copy, on Python.
  const script = path.join(resourcesDir, 'app.asar.unpacked', 'py', 'hello.py')
  const info = event(r, 'started').infos.find((i) => i.name === 'py')
  assert.ok(info, why)
  assert.equal(info.script, script, why)
  assert.equal(info.pid, py.pid, why)
  assert.equal(fs.realpathSync(py.script), fs.realpathSync(script), why)
  assert.match(path.basename(py.executable), /^python3/, why)
  assert.equal(py.ppid, mainStart.pid, 'the service is a child of the main process\n' + why)
  assert.equal(py.runAsNode, null, 'a Python service must not see ELECTRON_RUN_AS_NODE\n' + why)
  assert.equal(py.unbuffered, '1', why)
  assert.equal(py.underPm, true, why)
  assert.equal(py.channelFd, null, 'the helper takes pm\'s variables out of the environment\n' + why)

  // elife (with its python/ helper) is inside app.asar and its helper is not unpacked: pm put a
  // copy in Electron's os.tmpdir() on PYTHONPATH, and `from elife_pm import ...` found it there.
  assert.equal(mainStart.tmpdir, tmpdirForElectron, why)
  const helperDir = path.dirname(path.dirname(py.helper))
  assert.equal(path.dirname(helperDir), tmpdirForElectron, `the helper came from ${py.helper}\n` + why)
  // A fresh private directory (mkdtemp, 0700): a predictable shared path could be planted.
  assert.match(path.basename(helperDir), /^elife-pm-python-\w{6}$/, why)
  assert.equal(py.helperDirMode, '0o700', why)
  assert.equal(path.basename(py.helper), '__init__.py', why)
  assert.equal(py.pythonPath.split(':')[0], helperDir, why)
  assert.equal(py.helperSha256, require('crypto').createHash('sha256')
    .update(fs.readFileSync(path.join(ROOT, 'python', 'elife_pm', '__init__.py'))).digest('hex'), 'the copy is the packaged helper')
  assert.ok(!fs.existsSync(helperDir), 'the copy is removed when the app exits')

  // send() arrives as a 'message' event.
  const message = r.events.find((e) => e.event === 'pm-message' && e.payload.name === 'py')
  assert.ok(message, 'the service\'s send() should arrive as a \'message\' event\n' + why)
  assert.deepEqual(message.payload.message, { from: 'python', name: 'py', pid: py.pid }, why)
  assert.equal(message.payload.pid, py.pid, why)

  // Its (unflushed) print and its onstopping's print reach its log.
  const log = fs.readFileSync(path.join(r.out, 'py.log'), 'utf8')
  const prefix = `^\\S+Z py\\[${py.pid}\\] out: `
  assert.match(log, new RegExp(prefix + 'hello from py$', 'm'), log)
  assert.match(log, new RegExp(prefix + 'onstopping ran$', 'm'), log)

  // app.quit(): asked politely, its onstopping ran, it exited by itself; its grandchild went
  // with its process group (assertCleanRun: nothing left).
  assertServiceStoppedPolitely(r, 'py')
  const exit = r.events.find((e) => e.event === 'pm-exit' && e.payload.name === 'py')
  assert.ok(exit, why)
  assert.equal(exit.payload.requested, true, why)
  assert.deepEqual([exit.payload.code, exit.payload.signal], [0, null], 'it exits by itself after onstopping\n' + why)
  assert.ok(quitDuration(r, 'calling-quit') < PROMPT_QUIT, why)
})

test("a Node service on Electron's binary with stdio: 'pipe' (issue 20): 4 MiB echoed through pm.stdio() in Electron 9's main process, its IPC channel beside the pipes; stderr logged, stdout not; a write after stop() errors on the stream", { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('stdio')
  const why = describeRun(r)
  assert.equal(r.timedOut, false, why)
  assert.equal(event(r, 'error'), undefined, 'main.js failed\n' + why)
  assert.equal(event(r, 'pm-error'), undefined, why)
  assert.equal(r.code, 0, 'Electron should exit 0\n' + why)
  assert.deepEqual(r.left, [], 'processes left behind after Electron exited\n' + why)
  const s = event(r, 'stdio')
  assert.ok(s, why)
  assert.equal(s.ioPid, s.pid, why)
  assert.equal(s.echoed, s.sent, why)
  assert.equal(s.same, true, 'echoed byte for byte\n' + why)
  // The service ran on Electron's own binary, as Node, and its IPC channel worked beside the pipes.
  assert.equal(s.pong.pid, s.pid)
  assert.equal(s.pong.electron, ELECTRON_VERSION)
  assert.equal(s.pong.node, '12.14.1')
  assert.equal(fs.realpathSync(s.pong.execPath), fs.realpathSync(electron))
  assert.deepEqual({ ...event(r, 'stdio-ended'), t: 0 }, { event: 'stdio-ended', t: 0, stdioAfterStop: null }, why)
  assert.equal(event(r, 'stdio-late-write').code, 'EPIPE', why)
  // stderr in the log, line by line; nothing of stdout.
  const log = fs.readFileSync(path.join(r.out, 'echo.log'), 'utf8')
  assert.match(log, new RegExp(`^\\S+ echo\\[${s.pid}\\] err: echo\\.js ${s.pid} up\\n$`), log.slice(0, 2000))
})

test('a Python script packed in app.asar but not unpacked: pm.start() throws and says to unpack it (asarUnpack)', { timeout: TEST_TIMEOUT }, async () => {
  const r = await runScenario('python')
  const why = describeRun(r)
  const packed = event(r, 'packed-only')
  assert.ok(packed, why)
  assert.equal(packed.how, 'threw', 'pm.start() should throw at once\n' + why)
  assert.match(packed.message, /asarUnpack/, why)
  assert.ok(packed.message.includes(path.join(resourcesDir, 'app.asar.unpacked', 'py', 'packed-only', 'other.py')),
    'the message names where the file must be\n' + why)
  assert.ok(!fs.existsSync(path.join(r.out, 'packed-only.log')), why)
  assert.ok(!(event(r, 'ready').list || []).some((s) => s.name === 'packed-only'), 'the refused service is not listed\n' + why)
})

test('the Electron main process SIGKILLed with Node, Python and shell services: the direct services die at once, the handlers run; the next start of the app ends the leftover grandchild', { timeout: TEST_TIMEOUT }, async (t) => {
  const userData = path.join(tmp, 'userdata-orphans')
  let afterKill = null
  const first = await runScenario('mixed-sigkill', (ready) => {
    process.kill(ready.pid, 'SIGKILL')
    afterKill = (async () => {
      // Electron itself first (xvfb-run reaps it), then 2 s for the services.
      const electronGone = await survivors([ready.pid], 2000)
      const diedAt = Date.now()
      const direct = Object.values(ready.services).map((s) => s.pid)
      const directLeft = await survivors(direct, 2000)
      const directMs = Date.now() - diedAt
      // Node's and Python's handlers kill their process groups: their grandchildren go too.
      const handledGrandchildren = [ready.services.svc.grandchildPid, ready.services.py.grandchildPid]
      const handledLeft = await survivors(handledGrandchildren, 1000)
      return { electronGone, directLeft, directMs, handledLeft, records: runRecords(userData) }
    })()
  }, { key: 'orphans-first', userData, goneWithin: 0 })
  const why1 = describeRun(first)
  assert.ok(first.ready && afterKill, why1)
  assert.equal(first.timedOut, false, why1)
  assert.equal(first.code, 137, 'xvfb-run reports Electron\'s death by SIGKILL as 137\n' + why1)
  assert.equal(event(first, 'error'), undefined, why1)
  const killed = await afterKill
  assert.deepEqual(killed.electronGone, [], 'Electron did not die\n' + why1)
  assert.deepEqual(killed.directLeft, [], `direct services still alive ${killed.directMs} ms after Electron died\n` + why1)
  t.diagnostic(`direct services gone within ${killed.directMs} ms of Electron's death`)
  for (const p of first.left) t.diagnostic(`running right after the SIGKILL: ${p.pid} ${p.cmdline}`)
  assert.deepEqual(killed.handledLeft, [], 'the Node and Python services took their grandchildren along\n' + why1)
  assertServiceStoppedPolitely(first, 'svc')
  assertServiceStoppedPolitely(first, 'py')
  const services = first.ready.services
  for (const name of ['shell', 'family']) {
    assert.equal(services[name].runAsNode, 'unset', `${name}: no ELECTRON_RUN_AS_NODE for a shell script\n` + why1)
  }
  // The record of the killed run, in <userData>/elife-pm.
  assert.deepEqual(killed.records, [`run-${first.ready.pid}.json`], why1)
  const record = readJson(path.join(userData, 'elife-pm', `run-${first.ready.pid}.json`))
  assert.ok(record, why1)
  assert.deepEqual(record.services.map((s) => s.pid).sort(), Object.values(services).map((s) => s.pid).sort(), why1)

  // The shell service's own child is out of the death signal's reach, and nobody killed its
  // group: it lives on (documented), until the next start.
  const leftover = services.family.grandchildPid
  assert.ok(isAlive(leftover), `the family grandchild ${leftover} should still be running\n` + why1)

  let second = null
  const next = await runScenario('mixed-hold', (ready, run) => {
    second = (async () => {
      const leftoverLeft = await survivors([leftover], 2000)
      const newPids = readyPids(ready)
      const newDead = newPids.filter((pid) => !isAlive(pid))
      const records = runRecords(userData)
      release(run)
      return { leftoverLeft, newPids, newDead, records }
    })()
  }, { key: 'orphans-second', userData })
  const why2 = describeRun(next)
  assertCleanRun(next)
  assert.ok(second, why2)
  const seen = await second
  assert.deepEqual(seen.leftoverLeft, [], 'the next start should have ended the leftover grandchild\n' + why2)
  assert.deepEqual(seen.newDead, [], 'the new run\'s services should run\n' + why2)
  assert.equal(seen.newPids.length, 7, 'four services, three grandchildren\n' + why2)
  assert.deepEqual(seen.records, [`run-${next.ready.pid}.json`], 'the dead run\'s record is gone, the new run has its own\n' + why2)
  for (const name of ['svc', 'py']) assertServiceStoppedPolitely(next, name)
  // Nothing of either run is left (the first run's Chromium helpers included), and a clean
  // quit leaves no record.
  assert.deepEqual(await survivors(tokenHolders(first.token), GONE_WITHIN), [], 'left from the killed run\n' + why1)
  assert.deepEqual(runRecords(userData), [], why2)
})

test('a second copy of the app with the same userData, started while the first runs, leaves the first one\'s services alone', { timeout: TEST_TIMEOUT }, async () => {
  const userData = path.join(tmp, 'userdata-copies')
  let copyB = null
  let seen = null
  const a = await runScenario('mixed-hold', (readyA, runA) => {
    copyB = runScenario('mixed-hold', (readyB, runB) => {
      seen = (async () => {
        const aPids = readyPids(readyA)
        const result = {
          aPids,
          aDead: aPids.filter((pid) => !isAlive(pid)).map(describePid),
          bPids: readyPids(readyB),
          records: runRecords(userData),
          aEvents: readEvents(runA.out)
        }
        release(runA)
        release(runB)
        return result
      })()
    }, { key: 'copy-b', userData })
  }, { key: 'copy-a', userData })
  assert.ok(a.ready && copyB, 'copy A never got its services up\n' + describeRun(a))
  const b = await copyB
  const why = describeRun(a) + '\n' + describeRun(b)
  assertCleanRun(a)
  assertCleanRun(b)
  assert.ok(seen, why)
  const s = await seen
  assert.notEqual(a.ready.pid, b.ready.pid, why)
  assert.equal(s.aPids.length, 7, why)
  assert.deepEqual(s.aDead, [], 'copy B\'s start killed copy A\'s services\n' + why)
  // A's services were not killed (and restarted) meanwhile either.
  assert.equal(s.aEvents.filter((e) => e.event === 'pm-exit' || e.event === 'pm-error').length, 0, why)
  assert.deepEqual(s.records, [`run-${a.ready.pid}.json`, `run-${b.ready.pid}.json`].sort(), 'one record per running copy\n' + why)
  for (const r of [a, b]) {
    for (const name of ['svc', 'py']) assertServiceStoppedPolitely(r, name)
  }
  assert.deepEqual(await survivors([...a.pids, ...b.pids], GONE_WITHIN), [], why)
  assert.deepEqual(runRecords(userData), [], why)
})
