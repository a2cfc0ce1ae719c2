// What an app writes, checked by __test__/package-types.test.js with `tsc --strict` against the
// package installed from its `npm pack` tarball, under each TypeScript module setting. The test
// swaps the import line below for each import style (`import pm = require('elife/pm')`,
// `import pm from 'elife/pm'`, `import * as pm from 'elife/pm'`). Misuse must not compile: an expect-error line below that
// compiles fails the check (so types that resolved to `any` fail too).
import pm from 'elife/pm'
import type { ProcessInfo, ExitEvent, LogLine, PmError, StdioPair } from 'elife/pm'

// No @types/node: the package's types must not need them.
declare function show(...values: unknown[]): void

export async function main(): Promise<void> {
  pm.configure({ stateDir: '/tmp/my-app-state' })
  await pm.start({ script: 'worker.py', interpreter: 'python3' })
  pm.on('log', (batch) => batch.lines.forEach((l: LogLine) => show(l.name, l.stream, l.text)))
  const info: ProcessInfo = await pm.start({
    name: 'service1',
    script: '/opt/app/services/first/index.js',
    cwd: '/opt/app/services/first',
    log: '/var/log/app/service1.log',
    restartAt: [0, 100, 500],
    restartOk: 60_000,
    stopTimeout: 500,
    args: ['--port', '8080'],
    env: { NODE_ENV: 'production' },
    logFormat: 'json',
    stripANSI: true,
    logMaxSize: 10 * 1024 * 1024,
    logKeep: 3,
  })
  const pid: number | null = info.pid
  await pm.stop({ name: 'service1' })
  await pm.stop('service1')
  const restarted: ProcessInfo[] = await pm.restart('service1')
  await pm.stopall()
  pm.onstopping(() => { /* close servers, flush data */ })
  pm.onstopping(async () => {})
  pm.on('exit', (e: ExitEvent) => show(e.code, e.signal, e.requested, e.killed === true))
  pm.on('restart', (e) => show(e.attempt, e.delay)).on('error', (e) => show(e.message))
  const onMessage = (e: { message: unknown }): void => show(e.message)
  pm.on('message', onMessage)
  pm.off('message', onMessage)
  const states = pm.list().map((p) => p.state)
  show(pid, restarted, states)

  // Readiness, start order, limits, metrics, messages.
  await pm.start({ script: 'db.js', name: 'db', waitReady: true, readyTimeout: 5000 })
  await pm.start({ script: 'web.js', name: 'web', dependsOn: ['db'], maxRestarts: 3, maxMemory: 256 * 1024 * 1024 })
  pm.on('ready', (e) => show(e.pid)).on('restart', (e) => show(e.reason === 'memory'))
  const reached: number = pm.send('web', { hello: 1 })
  const told: boolean = pm.ready()
  const all = await pm.restartall()
  const metrics = pm.list().map((p) => [p.memory, p.cpu, p.log, p.ready])
  show(reached, told, all, metrics)
  // @ts-expect-error dependsOn is an array of names
  await pm.start({ script: 'a.js', dependsOn: 'db' })

  // Programs nobody here wrote (issue 19), stdio pipes (20), desktop logs (22), error codes (23).
  await pm.start({ script: '/usr/bin/redis-server', name: 'redis', readyWhen: { tcp: 6379 }, stopSignal: 'SIGTERM' })
  await pm.start({ script: '/usr/bin/postgres', name: 'pg', readyWhen: { log: /ready to accept connections/ }, stopSignal: 'SIGINT', stopTimeout: 10_000 })
  await pm.start({ script: 'migrate.js', name: 'migrate', restart: 'never' })
  await pm.start({
    script: 'api.js',
    dependsOn: ['redis', { name: 'migrate', when: 'completed' }],
    readyWhen: { http: 'http://127.0.0.1:8080/health', every: 200 },
    healthCheck: { http: 'http://127.0.0.1:8080/health', every: 5000, timeout: 1000, failures: 2 },
    restart: 'on-failure',
    logCompress: true,
  })
  await pm.start({ script: 'mcp-server.js', name: 'mcp', stdio: 'pipe' })
  const pair: StdioPair | null = pm.stdio('mcp')
  if (pair) {
    // Node's stream types, with @types/node (an Electron app has them through electron's own).
    const streams: [NodeJS.WritableStream, NodeJS.ReadableStream] = [pair.stdin, pair.stdout]
    show(streams, pair.pid, pair.id, pm.stdio({ id: pair.id }))
  }
  const lines: LogLine[] = await pm.logs('api', { lines: 50 })
  pm.on('exit', (e) => show(e.completed, e.lastLines.map((l) => `${l.stream}: ${l.text}`)))
  pm.on('restart', (e) => show(e.reason === 'unhealthy'))
  const done = pm.list().filter((p) => p.completed && p.lastExit !== null && p.lastExit.lastLines.length >= 0)
  await pm.start({ script: 'a.js' }).catch((e: PmError) => show(e.code === 'ERR_PM_SPAWN', e.message))
  show(lines, done)
  // @ts-expect-error restart is one of three words
  await pm.start({ script: 'a.js', restart: 'sometimes' })
  // @ts-expect-error stopSignal names a signal pm sends
  await pm.start({ script: 'a.js', stopSignal: 'SIGKILL' })
  // @ts-expect-error when is 'ready' or 'completed'
  await pm.start({ script: 'a.js', dependsOn: [{ name: 'm', when: 'finished' }] })
  // @ts-expect-error stdio is 'pipe' or left out
  await pm.start({ script: 'a.js', stdio: 'inherit' })
  // @ts-expect-error not an error code
  const code: PmError['code'] = 'ERR_PM_NOPE'
  show(code)

  // @ts-expect-error script is required
  await pm.start({ name: 'x' })
  // @ts-expect-error a typo in an option name
  await pm.start({ script: 'a.js', restartat: [0] })
  // @ts-expect-error args are strings
  await pm.start({ script: 'a.js', args: [1] })
  // @ts-expect-error env values are strings
  await pm.start({ script: 'a.js', env: { A: 1 } })
  // @ts-expect-error unknown event
  pm.on('exited', () => {})
  // @ts-expect-error unknown configure option
  pm.configure({ statedir: 'x' })
  // @ts-expect-error a state that does not exist
  const s: ProcessInfo['state'] = 'crashed'
  show(s)
}
