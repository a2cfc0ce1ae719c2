'use strict'
// Programs nobody here wrote, run as services (issue 19): Debian's redis-server and PostgreSQL
// (installed by `npm test` itself: scripts/install-system-deps.sh --tests), each started by pm
// from a temporary data directory on a free port, never as a system service. They cannot call
// ready(), so pm tells they are ready by their port (readyWhen tcp) or their log (readyWhen
// log); PostgreSQL is asked to stop the way it wants (stopSignal SIGINT). Then what such
// programs need around them: services that depend on them, a one-shot migration, exits that
// are not crashes (restart), a server that hangs (healthCheck), and a daemon whose grandchild
// leaves the process group (the ELIFE_PM_SERVICE marker). And bad options, named at start().
//
// Every wait is on a signal (an event, a file, a port, a log line), with generous bounds. The
// suite fails, never skips, when redis-server or PostgreSQL is missing.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { execFileSync, spawn, spawnSync } = require('node:child_process')
const pm = require('..')
const { FIXTURES, tmpdir, waitFor, isAlive, survivors, describePid } = require('./helpers')

const F = path.join(FIXTURES, 'thirdparty')
const LONG = { timeout: 180000 }

// ---- the programs -------------------------------------------------------------------------

/** The first executable `name` on PATH, or null. */
function onPath (name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const file = path.join(dir || '.', name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch (e) {}
  }
  return null
}

/** Debian's PostgreSQL binaries: /usr/lib/postgresql/<version>/bin, the newest version. */
function postgresBin () {
  const root = '/usr/lib/postgresql'
  let versions = []
  try { versions = fs.readdirSync(root) } catch (e) {}
  const found = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && fs.existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))
  return found.length ? path.join(root, found[0], 'bin') : null
}

const REDIS_SERVER = onPath('redis-server')
const REDIS_CLI = onPath('redis-cli')
const PG_BIN = postgresBin()
const SETPRIV = onPath('setpriv')
const AS_ROOT = process.getuid() === 0

/** Fails (never skips) the test when a program is missing, saying how to get it. */
function need (...what) {
  const missing = []
  if (what.includes('redis') && !(REDIS_SERVER && REDIS_CLI)) missing.push('redis-server and redis-cli (Debian package redis-server)')
  if (what.includes('pg') && !PG_BIN) missing.push('PostgreSQL under /usr/lib/postgresql/<version>/bin (Debian package postgresql)')
  if (what.includes('pg') && AS_ROOT && !SETPRIV) missing.push('setpriv (util-linux), to run PostgreSQL as the postgres user')
  assert.deepStrictEqual(missing, [], 'missing: ' + missing.join('; ') + '. Install them with: sudo bash scripts/install-system-deps.sh --tests')
}

test('the third-party programs are installed (scripts/install-system-deps.sh --tests)', () => {
  need('redis', 'pg')
})

// ---- plumbing -------------------------------------------------------------------------------

/** A TCP port that nothing listens on now. */
function freePort () {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function read (file) {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (e) {
    return ''
  }
}

/** GET `url`, resolves with the body. */
function httpGet (url) {
  return new Promise((resolve, reject) => {
    require('node:http').get(url, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve(body))
    }).on('error', reject)
  })
}

function readJson (file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    return null
  }
}

/** Every pm event in the order pm delivered them, and the process warnings. */
function recorder () {
  const seen = []
  const warnings = []
  const types = ['start', 'ready', 'exit', 'restart', 'stop', 'error']
  const fns = types.map((type) => {
    const fn = (e) => seen.push(Object.assign({ type, receivedAt: Date.now() }, e))
    pm.on(type, fn)
    return [type, fn]
  })
  const onWarning = (w) => warnings.push(w.message)
  process.on('warning', onWarning)
  return {
    seen,
    warnings,
    of: (type, name) => seen.filter((e) => e.type === type && (name === undefined || e.name === name)),
    /** The index in delivery order of the first event of `type` for `name`. */
    index: (type, name) => seen.findIndex((e) => e.type === type && e.name === name),
    close: () => {
      fns.forEach(([type, fn]) => pm.off(type, fn))
      process.off('warning', onWarning)
    }
  }
}

let events = null
test.beforeEach(() => { events = recorder() })
test.afterEach(async () => {
  events.close()
  await pm.stopall()
})

// Pids a failed test could leave behind (daemons, main processes): ended at the end. And the
// PostgreSQL data directories (40 MB each; their logs stay).
const stray = []
const pgData = []
test.after(() => {
  for (const pid of stray) {
    try { process.kill(pid, 'SIGKILL') } catch (e) {}
  }
  for (const dir of pgData) fs.rmSync(dir, { recursive: true, force: true })
})

// ---- Redis ------------------------------------------------------------------------------------

/** Redis on `port`, its data (an append-only file) in `dir`, ready once its port accepts. */
function redisOptions (port, dir, log) {
  return {
    name: 'redis',
    script: REDIS_SERVER,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    readyWhen: { tcp: port },
    stopTimeout: 5000,
    log
  }
}

function redisCli (port, ...args) {
  return execFileSync(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10000 }).trim()
}

// ---- PostgreSQL -------------------------------------------------------------------------------

/**
 * How to run a PostgreSQL program: as the postgres user when we are root (PostgreSQL refuses
 * to run as root; setpriv execs it, so pm's process is PostgreSQL itself), else as we are.
 */
function asPostgres (program, args) {
  if (!AS_ROOT) return { script: program, args }
  return { script: SETPRIV, args: ['--reuid', 'postgres', '--regid', 'postgres', '--init-groups', '--', program, ...args] }
}

/** A fresh cluster: a data directory (initdb, trust authentication, superuser postgres) and a socket directory, owned by the user PostgreSQL runs as. */
function pgCluster () {
  const base = tmpdir('pg')
  // Every directory above the data directory must be traversable by the postgres user.
  fs.chmodSync(base, 0o755)
  const data = path.join(base, 'data')
  const sock = path.join(base, 'sock')
  fs.mkdirSync(data, { mode: 0o700 })
  fs.mkdirSync(sock)
  pgData.push(data)
  if (AS_ROOT) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }))
    fs.chownSync(data, uid, gid)
    fs.chownSync(sock, uid, gid)
  }
  const initdb = asPostgres(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-locale', '-E', 'UTF8'])
  const r = spawnSync(initdb.script, initdb.args, { cwd: base, encoding: 'utf8', timeout: 120000 })
  assert.strictEqual(r.status, 0, 'initdb failed: ' + (r.error || '') + r.stdout + r.stderr)
  return { base, data, sock }
}

const READY_LINE = /database system is ready to accept connections/

/** PostgreSQL on `port`: ready by its log line, stopped by its fast shutdown (SIGINT). */
function pgOptions (cluster, port, log) {
  return Object.assign({
    name: 'pg',
    cwd: cluster.base,
    readyWhen: { log: READY_LINE },
    stopSignal: 'SIGINT',
    stopTimeout: 10000,
    readyTimeout: 60000,
    log
  }, asPostgres(path.join(PG_BIN, 'postgres'), ['-D', cluster.data, '-k', cluster.sock, '-p', String(port)]))
}

function psql (port, sql) {
  return execFileSync(path.join(PG_BIN, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql],
    { encoding: 'utf8', timeout: 30000 }).trim()
}

/** An idle client session (TCP, trust), held open until `close()`: what keeps PostgreSQL's smart shutdown (SIGTERM) waiting. */
function pgIdleSession (port) {
  return new Promise((resolve, reject) => {
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0')
    const head = Buffer.alloc(8)
    head.writeInt32BE(8 + params.length, 0)
    head.writeInt32BE(196608, 4)
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([head, params])))
    const closed = new Promise((resolve) => socket.on('close', resolve))
    let got = Buffer.alloc(0)
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk])
      // ReadyForQuery ('Z', length 5, status) ends the startup.
      if (got.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) resolve({ closed, close: () => socket.destroy() })
    })
  })
}

const CRASH_RECOVERY = /not properly shut down|automatic recovery in progress|was interrupted/

// ---- the tests --------------------------------------------------------------------------------

test('Redis, ready by readyWhen tcp: a key written before stop() is there after the next start', LONG, async () => {
  need('redis')
  const port = await freePort()
  const dir = tmpdir('redis')
  const log = path.join(dir, 'redis.log')
  const options = redisOptions(port, dir, log)

  const first = await pm.start(Object.assign({ waitReady: true }, options))
  assert.strictEqual(first.ready, true)
  // Ready means its port answers: a client gets through at once.
  assert.strictEqual(redisCli(port, 'PING'), 'PONG')
  assert.strictEqual(redisCli(port, 'SET', 'greeting', 'hello from before the stop'), 'OK')
  await waitFor('the ready event', () => events.of('ready', 'redis').length === 1)
  assert.strictEqual(events.of('ready', 'redis')[0].pid, first.pid)

  const [stopped] = await pm.stop('redis')
  assert.strictEqual(stopped.state, 'stopped')
  const exit = await waitFor('the exit event', () => events.of('exit', 'redis')[0])
  assert.deepStrictEqual([exit.pid, exit.requested, exit.killed, exit.code], [first.pid, true, false, 0], 'Redis stopped on its own after SIGTERM: ' + JSON.stringify(exit))
  assert.match(read(log), /ready to exit, bye bye/i, 'Redis shut down cleanly')
  assert.ok(fs.existsSync(path.join(dir, 'appendonlydir')), 'Redis kept its data in --dir')

  const second = await pm.start(Object.assign({ waitReady: true }, options))
  assert.notStrictEqual(second.pid, first.pid)
  assert.strictEqual(redisCli(port, 'GET', 'greeting'), 'hello from before the stop')
})

test('PostgreSQL, ready by readyWhen log, stopped by stopSignal SIGINT within stopTimeout: the next start needs no crash recovery', LONG, async (t) => {
  need('pg')
  const cluster = pgCluster()
  const port = await freePort()
  const log1 = path.join(cluster.base, 'first.log')
  const log2 = path.join(cluster.base, 'second.log')

  const first = await pm.start(Object.assign({ waitReady: true }, pgOptions(cluster, port, log1)))
  assert.strictEqual(first.ready, true)
  // Ready because it printed its line: it takes sessions at once.
  psql(port, 'CREATE TABLE t (v text); INSERT INTO t VALUES (\'kept\')')
  // (pm matches a line before its log file has it: the file gets it a moment later.)
  await waitFor('the ready line in the log', () => READY_LINE.test(read(log1)))
  assert.match(read(log1), /listening on IPv4 address "127\.0\.0\.1", port \d+/)
  // An idle client: PostgreSQL's smart shutdown (SIGTERM) would wait for it for ever; the
  // fast one (SIGINT) ends its session.
  const session = await pgIdleSession(port)

  const before = Date.now()
  await pm.stop('pg')
  const took = Date.now() - before
  await session.closed
  const exit = await waitFor('the exit event', () => events.of('exit', 'pg')[0])
  assert.deepStrictEqual([exit.pid, exit.requested, exit.killed, exit.code, exit.signal], [first.pid, true, false, 0, null],
    'PostgreSQL exited by itself after its stop signal: ' + JSON.stringify(exit))
  assert.ok(took < 10000, `stop() took ${took} ms, more than the stopTimeout`)
  t.diagnostic(`PostgreSQL's stop() took ${took} ms`)
  assert.match(read(log1), /received fast shutdown request/, 'it got SIGINT (fast shutdown)')
  assert.match(read(log1), /database system is shut down/)
  assert.ok(!events.warnings.some((w) => /"pg" did not exit within its grace period/.test(w)), 'no overrun warning: ' + events.warnings)

  const second = await pm.start(Object.assign({ waitReady: true }, pgOptions(cluster, port, log2)))
  assert.notStrictEqual(second.pid, first.pid)
  // Every line up to the ready line: what PostgreSQL found at its start.
  const startLog = await waitFor('the ready line in the log', () => READY_LINE.test(read(log2)) && read(log2))
  assert.match(startLog, /database system was shut down at/, 'the second start found a clean shutdown')
  assert.doesNotMatch(startLog, CRASH_RECOVERY)
  assert.strictEqual(psql(port, 'SELECT v FROM t'), 'kept')
  await pm.stop('pg')
  assert.doesNotMatch(read(log2), CRASH_RECOVERY)
})

test('dependsOn redis and pg: the dependent spawns only once both are ready, and both answer its first request', LONG, async () => {
  need('redis', 'pg')
  const out = tmpdir('dependent')
  const cluster = pgCluster()
  const [redisPort, pgPort] = [await freePort(), await freePort()]
  // Started first: it waits for services started after it.
  const dependent = pm.start({
    name: 'app',
    script: path.join(F, 'dependent.js'),
    dependsOn: ['redis', 'pg'],
    env: { OUT: out, TAG: 'app', REDIS_PORT: String(redisPort), PG_PORT: String(pgPort) }
  })
  assert.strictEqual(pm.list().find((p) => p.name === 'app').state, 'starting')
  await pm.start(pgOptions(cluster, pgPort, path.join(cluster.base, 'pg.log')))
  await pm.start(redisOptions(redisPort, out, path.join(out, 'redis.log')))
  const app = await dependent
  const report = await waitFor('the dependent\'s report', () => readJson(path.join(out, 'app.json')), 60000)
  assert.strictEqual(report.pid, app.pid)
  assert.strictEqual(report.redis, '+PONG', 'Redis answered the dependent\'s first request')
  assert.strictEqual(report.pg, 'ready for query', 'PostgreSQL took the dependent\'s first session')
  // In the order pm delivered its events: both 'ready' events, then the dependent's spawn.
  const readyRedis = events.index('ready', 'redis')
  const readyPg = events.index('ready', 'pg')
  const startApp = events.index('start', 'app')
  assert.ok(readyRedis >= 0 && readyPg >= 0 && startApp > readyRedis && startApp > readyPg,
    'order of events: ' + JSON.stringify(events.seen.map((e) => e.type + ' ' + e.name)))
})

test('a migration (restart: never) that a server waits for with when: completed', LONG, async () => {
  const out = tmpdir('migrate')
  const marker = path.join(out, 'migrate.done')
  const server = pm.start({
    name: 'server',
    script: path.join(F, 'after-migration.js'),
    dependsOn: [{ name: 'migrate', when: 'completed' }],
    env: { OUT: out, TAG: 'server', MARKER: marker }
  })
  await pm.start({ name: 'migrate', script: path.join(F, 'migrate.js'), restart: 'never', env: { OUT: out, TAG: 'migrate', DELAY: '700' } })
  const info = await server
  const report = await waitFor('the server\'s report', () => readJson(path.join(out, 'server.json')))
  assert.strictEqual(report.migrated, true, 'the server started after the migration wrote its marker')
  const exit = await waitFor('the migration\'s exit event', () => events.of('exit', 'migrate')[0])
  assert.deepStrictEqual([exit.code, exit.requested, exit.completed], [0, false, true])
  assert.ok(events.index('exit', 'migrate') < events.index('start', 'server'), 'the server spawned after the migration exited')
  assert.ok(report.startedAt >= Number(fs.readFileSync(marker, 'utf8')))
  const list = pm.list()
  const migrate = list.find((p) => p.name === 'migrate')
  assert.deepStrictEqual([migrate.state, migrate.completed, migrate.pid, migrate.restarts], ['stopped', true, null, 0])
  assert.deepStrictEqual([list.find((p) => p.name === 'server').state, info.state], ['running', 'running'])
  assert.strictEqual(events.of('restart', 'migrate').length, 0)
})

test('a migration that fails: the server waiting for it never spawns, ends errored, and its start() rejects with ERR_PM_DEPENDENCY', LONG, async () => {
  // Names of their own: pm remembers that the last "migrate" (the test above) completed, and a
  // service waiting for that name would go at once.
  const out = tmpdir('migrate-fails')
  const server = pm.start({
    name: 'api',
    script: path.join(F, 'after-migration.js'),
    dependsOn: [{ name: 'schema', when: 'completed' }],
    env: { OUT: out, TAG: 'api', MARKER: path.join(out, 'schema.done') }
  })
  // Caught at once (the rejection comes later), checked below.
  const failed = server.then(() => null, (e) => e)
  await pm.start({ name: 'schema', script: path.join(F, 'migrate.js'), restart: 'never', env: { OUT: out, TAG: 'schema', DELAY: '300', EXIT_CODE: '1' } })
  const e = await failed
  assert.ok(e instanceof Error, 'start() of the dependent rejects')
  assert.strictEqual(e.code, 'ERR_PM_DEPENDENCY')
  assert.match(e.message, /"api" will not start: the service it depends on, "schema", failed/)
  const list = pm.list()
  const schema = list.find((p) => p.name === 'schema')
  const api = list.find((p) => p.name === 'api')
  assert.deepStrictEqual([schema.state, schema.completed, schema.lastExit.code], ['errored', false, 1])
  assert.deepStrictEqual([api.state, api.pid], ['errored', null])
  assert.match(api.error, /"schema", failed/)
  const error = await waitFor('the dependent\'s error event', () => events.of('error', 'api')[0])
  assert.match(error.message, /will not start/)
  assert.strictEqual(events.of('start', 'api').length, 0, 'the dependent never spawned')
  assert.ok(!fs.existsSync(path.join(out, 'api.json')))
  assert.strictEqual(events.of('restart', 'schema').length, 0, 'restart: never does not restart a failure either')
})

test('restart: on-failure leaves a service that exits 0 stopped and completed, and restarts one that exits 1', LONG, async () => {
  const done = await pm.start({ name: 'done', script: path.join(F, 'exit-with.js'), restart: 'on-failure', env: { EXIT_CODE: '0' } })
  const exit = await waitFor('its exit event', () => events.of('exit', 'done')[0])
  assert.deepStrictEqual([exit.pid, exit.code, exit.requested, exit.completed], [done.pid, 0, false, true])
  const [info] = pm.list()
  assert.deepStrictEqual([info.state, info.completed, info.pid, info.restarts, info.lastExit.code], ['stopped', true, null, 0, 0])
  assert.deepStrictEqual(exit.lastLines, [{ stream: 'out', text: 'running, exiting with 0' }])

  await pm.start({ name: 'fails', script: path.join(F, 'exit-with.js'), restart: 'on-failure', restartAt: [0], maxRestarts: 1, env: { EXIT_CODE: '1' } })
  const restart = await waitFor('its restart', () => events.of('restart', 'fails')[0])
  assert.strictEqual(restart.reason, 'crash')
  await waitFor('it gives up after maxRestarts', () => events.of('error', 'fails').length)
  assert.strictEqual(events.of('start', 'fails').length, 2)
  assert.ok(events.of('exit', 'fails').every((e) => e.completed === false))
  const fails = pm.list().find((p) => p.name === 'fails')
  assert.deepStrictEqual([fails.state, fails.completed], ['errored', false])
  // The clean exit still stands: never restarted.
  assert.strictEqual(events.of('start', 'done').length, 1)
  assert.strictEqual(events.of('restart', 'done').length, 0)
})

test('healthCheck: an HTTP service that stops answering but stays alive is restarted with reason unhealthy', LONG, async () => {
  const port = await freePort()
  const out = tmpdir('health')
  const log = path.join(out, 'health.log')
  const url = `http://127.0.0.1:${port}/health`
  const first = await pm.start({
    name: 'web',
    script: path.join(F, 'health.js'),
    env: { PORT: String(port) },
    readyWhen: { http: url },
    healthCheck: { http: url, every: 200, timeout: 200, failures: 2 },
    waitReady: true,
    log
  })
  assert.strictEqual(first.ready, true)
  // Healthy: probes answered one after another, and nothing happens.
  await waitFor('four answered health probes', () => (read(log).match(/answered \/health/g) || []).length >= 4, 30000)
  assert.strictEqual(events.of('restart', 'web').length, 0)
  assert.strictEqual(await httpGet(`http://127.0.0.1:${port}/hang`), 'hanging\n')
  const restart = await waitFor('the unhealthy restart', () => events.of('restart', 'web')[0], 30000)
  assert.strictEqual(restart.reason, 'unhealthy')
  assert.strictEqual(restart.attempt, 1)
  // pm ended it: it was alive and hung, not dead.
  const exit = events.of('exit', 'web')[0]
  assert.deepStrictEqual([exit.pid, exit.requested, exit.signal], [first.pid, true, 'SIGTERM'])
  assert.ok(exit.lastLines.some((l) => l.text === 'hanging: no more answers'))
  const warning = events.warnings.find((w) => /healthCheck/.test(w))
  assert.ok(warning, 'a process warning: ' + JSON.stringify(events.warnings))
  assert.match(warning, /"web"/)
  assert.match(warning, /failed its healthCheck 2 times in a row \(http:\/\/127\.0\.0\.1:\d+\/health: no answer within 200 ms\)/)
  // And the new one is up and answering.
  const ready = await waitFor('the new process ready', () => events.of('ready', 'web').find((e) => e.pid !== first.pid), 30000)
  const [now] = pm.list()
  assert.deepStrictEqual([now.pid, now.state, now.ready], [ready.pid, 'running', true])
  assert.notStrictEqual(ready.pid, first.pid)
})

// ---- daemons -------------------------------------------------------------------------------

const MARKER = 'ELIFE_PM_SERVICE'

/** The value of pm's marker in a process's environment, or null. */
function markerOf (pid) {
  const environ = read(`/proc/${pid}/environ`).split('\0')
  const v = environ.find((e) => e.startsWith(MARKER + '='))
  return v ? v.slice(MARKER.length + 1) : null
}

/** Live processes (zombies aside) whose environment carries `marker`. */
function carrying (marker) {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)
    .filter((pid) => pid !== process.pid && markerOf(pid) === marker && isAlive(pid))
}

/** Session and process group of a process, from /proc/<pid>/stat. */
function sessionOf (pid) {
  const stat = read(`/proc/${pid}/stat`)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { pgid: Number(fields[2]), sid: Number(fields[3]) }
}

/** The daemon's grandchild, once daemon.sh wrote its pid: out of the service's group and session, carrying the marker. */
async function grandchildOf (service, pidfile) {
  const gc = Number(await waitFor('the grandchild\'s pid', () => read(pidfile).trim(), 30000))
  stray.push(gc)
  assert.ok(isAlive(gc), 'the grandchild runs')
  const s = sessionOf(gc)
  assert.ok(s.pgid !== service && s.sid !== service && s.sid === s.pgid, 'it left the service\'s group and session: ' + JSON.stringify(s))
  const marker = markerOf(gc)
  assert.ok(marker, 'it carries ' + MARKER)
  return { gc, marker }
}

test('a daemon (double fork, setsid) that keeps stdout open: nothing is left after stop(), which does not wait out the drain limit', LONG, async (t) => {
  const out = tmpdir('daemon')
  const pidfile = path.join(out, 'grandchild')
  const info = await pm.start({ name: 'daemon', script: path.join(F, 'daemon.sh'), env: { PIDFILE: pidfile } })
  const { gc, marker } = await grandchildOf(info.pid, pidfile)
  assert.strictEqual(markerOf(info.pid), marker, 'the service and its grandchild carry the same marker')
  const before = Date.now()
  await pm.stop('daemon')
  const took = Date.now() - before
  // Left to itself, the grandchild holds stdout open and pm would give the output up only
  // after its 2 s drain limit.
  assert.ok(took < 2000, `stop() took ${took} ms: it waited for the daemon's stdout`)
  t.diagnostic(`the daemon's stop() took ${took} ms`)
  assert.deepStrictEqual(await survivors([gc], 5000), [], 'the grandchild outlived stop(): ' + JSON.stringify(describePid(gc)))
  assert.deepStrictEqual(carrying(marker), [], 'a process with the service\'s marker is left')
})

test('a daemon launcher that exits 0 by itself (restart: never): its grandchild is ended with it', LONG, async (t) => {
  const out = tmpdir('daemon-exit')
  const pidfile = path.join(out, 'grandchild')
  const go = path.join(out, 'go')
  const info = await pm.start({ name: 'launcher', script: path.join(F, 'daemon.sh'), restart: 'never', env: { PIDFILE: pidfile, EXIT_WHEN: go } })
  const { gc, marker } = await grandchildOf(info.pid, pidfile)
  fs.writeFileSync(go, '') // now the launcher exits 0
  const exit = await waitFor('the launcher\'s exit', () => events.of('exit', 'launcher')[0], 30000)
  assert.deepStrictEqual([exit.code, exit.requested, exit.completed], [0, false, true])
  assert.ok(exit.lastLines.some((l) => l.text === 'daemonized ' + gc))
  assert.deepStrictEqual(await survivors([gc], 5000), [], 'the grandchild outlived its service: ' + JSON.stringify(describePid(gc)))
  assert.deepStrictEqual(carrying(marker), [])
  // Its exit was reported without waiting out the drain limit for the daemon's stdout.
  const [listed] = pm.list()
  assert.strictEqual(listed.state, 'stopped')
  const delay = exit.receivedAt - listed.lastExit.at
  assert.ok(delay < 2000, `the exit event came ${delay} ms after the exit`)
  t.diagnostic(`the exit event came ${delay} ms after the exit`)
})

test('a daemon whose main process is SIGKILLed: the death signal misses the grandchild, the next start of the same app ends it', LONG, async () => {
  const out = tmpdir('daemon-kill')
  const state = tmpdir('daemon-state')
  const launch = async (run) => {
    const child = spawn(process.execPath, [path.join(F, 'main.js')], { env: Object.assign({}, process.env, { OUT: out, STATE: state, RUN: run }), stdio: 'ignore' })
    stray.push(child.pid)
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    const service = Number(await waitFor(run + ' service', () => read(path.join(out, run + '.pid')), 30000))
    stray.push(service)
    const { gc, marker } = await grandchildOf(service, path.join(out, run + '.grandchild'))
    return { child, exited, service, gc, marker }
  }
  const first = await launch('first')
  first.child.kill('SIGKILL')
  await first.exited
  assert.deepStrictEqual(await survivors([first.service], 5000), [], 'the service outlived its main process')
  assert.ok(isAlive(first.gc), 'the grandchild is out of the death signal\'s reach (only the next start ends it)')

  const second = await launch('second')
  assert.deepStrictEqual(await survivors([first.gc], 5000), [], 'the next start did not end the grandchild: ' + JSON.stringify(describePid(first.gc)))
  assert.deepStrictEqual(carrying(first.marker), [])
  // The app is told, by pid, beside any process group that was left.
  const warned = await waitFor('the sweep\'s warning', () => read(path.join(out, 'second.warnings')), 30000)
  assert.match(warned, new RegExp('ended .*\\b1 process\\(es\\) that had left their service\'s process group \\(pids: ' + first.gc + '\\)'), warned)
  assert.ok(isAlive(second.gc), 'the new run\'s own daemon runs')
  // A quit (SIGTERM, in plain Node) stops the service and its daemon too.
  second.child.kill('SIGTERM')
  await second.exited
  assert.deepStrictEqual(await survivors([second.service, second.gc], 5000), [])
  assert.deepStrictEqual(fs.readdirSync(state).filter((f) => f.startsWith('run-')), [], 'no record is left')
})

// ---- bad input ---------------------------------------------------------------------------------

test('bad options: a clear error that names the option, thrown by start(), code ERR_PM_OPTION; nothing starts', () => {
  const script = path.join(F, 'health.js')
  const cases = [
    [{ readyWhen: { log: /(?<=x)ready/ } }, /option "readyWhen\.log" is a regular expression pm cannot use .*look-around/],
    [{ readyWhen: { log: 'ready (unclosed' } }, /option "readyWhen\.log" is a regular expression pm cannot use/],
    [{ readyWhen: { tcp: 0 } }, /option "readyWhen\.tcp" needs a port from 1 to 65535, got "0"/],
    [{ readyWhen: { tcp: 70000 } }, /option "readyWhen\.tcp" needs a port from 1 to 65535, got "70000"/],
    [{ healthCheck: { tcp: '127.0.0.1:70000' } }, /option "healthCheck\.tcp" needs a port from 1 to 65535, got "70000"/],
    [{ readyWhen: { http: 'https://127.0.0.1:8443/health' } }, /option "readyWhen\.http" must be an http:\/\/ URL/],
    [{ healthCheck: { http: 'ftp://127.0.0.1/health' } }, /option "healthCheck\.http" must be an http:\/\/ URL/],
    [{ stopSignal: 'SIGFOO' }, /option "stopSignal" must be one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, got "SIGFOO"/],
    [{ stopSignal: 'SIGKILL' }, /option "stopSignal" must be one of .*got "SIGKILL"/],
    [{ dependsOn: [{ name: 'migrate', when: 'finished' }] }, /option "dependsOn\[0\]\.when" must be "ready" or "completed", got "finished"/],
    [{ healthCheck: { every: 1000, failures: 2 } }, /option "healthCheck" needs a probe: \{ tcp: port \} or \{ http: url \}/],
    [{ restart: 'sometimes' }, /option "restart" must be "always", "on-failure" or "never", got "sometimes"/]
  ]
  for (const [bad, says] of cases) {
    const options = Object.assign({ name: 'bad', script }, bad)
    assert.throws(() => pm.start(options), (e) => {
      assert.match(e.message, says, JSON.stringify(bad, (k, v) => v instanceof RegExp ? String(v) : v))
      assert.match(e.message, /^pm\.start: /)
      assert.strictEqual(e.code, 'ERR_PM_OPTION')
      return true
    })
  }
  assert.deepStrictEqual(pm.list(), [], 'a refused start leaves nothing registered')
  assert.strictEqual(events.seen.filter((e) => e.name === 'bad').length, 0)
})

test('a readyWhen probe that never answers ends in readyTimeout: ERR_PM_NOT_READY under waitReady, errored, nothing left running', LONG, async () => {
  const closed = await freePort() // nothing listens there
  // A port that accepts and never answers an HTTP request.
  const held = []
  const mute = net.createServer((s) => held.push(s))
  await new Promise((resolve) => mute.listen(0, '127.0.0.1', resolve))
  const sleeper = (name, readyWhen, extra) => Object.assign({ name, script: onPath('sleep'), args: ['1000'], readyWhen, readyTimeout: 1500 }, extra)
  try {
    for (const [name, readyWhen] of [['tcp', { tcp: closed, every: 100 }], ['http', { http: `http://127.0.0.1:${mute.address().port}/health`, every: 100 }]]) {
      const before = Date.now()
      await assert.rejects(pm.start(sleeper(name, readyWhen, { waitReady: true })), (e) => {
        assert.strictEqual(e.code, 'ERR_PM_NOT_READY')
        assert.match(e.message, /did not get ready within its readyTimeout of 1500 ms/)
        return true
      })
      assert.ok(Date.now() - before >= 1400, 'it waited out readyTimeout')
      const info = pm.list().find((p) => p.name === name)
      assert.deepStrictEqual([info.state, info.pid], ['errored', null])
      assert.match(info.error, /readyTimeout/)
      assert.deepStrictEqual(await survivors([info.lastExit.pid]), [])
    }
    // Without waitReady, start() resolves at spawn; the service ends errored the same way.
    const info = await pm.start(sleeper('nowait', { tcp: closed }))
    assert.strictEqual(info.state, 'running')
    const error = await waitFor('the error event', () => events.of('error', 'nowait')[0], 30000)
    assert.match(error.message, /readyTimeout of 1500 ms/)
    await waitFor('it ends errored', () => pm.list().find((p) => p.name === 'nowait').state === 'errored')
    assert.deepStrictEqual(await survivors([info.pid]), [])
    assert.strictEqual(events.of('ready').length, 0)
  } finally {
    held.forEach((s) => s.destroy())
    mute.close()
  }
})
