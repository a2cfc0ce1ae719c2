// Compiled with `tsc --noEmit` against index.d.ts: the documented usage must type-check, and
// misuse must not (each @ts-expect-error fails the build if the line compiles).
import * as pm from 'elife/pm'
import type { ProcessInfo, ExitEvent } from 'elife/pm'

async function main(): Promise<void> {
  pm.configure({ stateDir: '/tmp/my-app-state' })
  await pm.start({ script: 'worker.py', interpreter: 'python3' })
  pm.on('log', (batch) => batch.lines.forEach((l) => console.log(l.name, l.stream, l.text)))
  const info: ProcessInfo = await pm.start({
    name: 'service1',
    script: 'index.js',
    cwd: './services/first',
    log: 'logs/service1.log',
    restartAt: [0, 100, 500],
    restartOk: 60_000,
    stopTimeout: 500,
    args: ['--port', '8080'],
    env: { NODE_ENV: 'production' },
  })
  const pid: number | null = info.pid
  await pm.stop({ name: 'service1' })
  await pm.stop('service1')
  const restarted: ProcessInfo[] = await pm.restart('service1')
  await pm.stopall()
  pm.onstopping(() => { /* close servers, flush data */ })
  pm.onstopping(async () => {})
  pm.on('exit', (e: ExitEvent) => console.log(e.code, e.signal, e.requested))
  pm.on('restart', (e) => console.log(e.attempt, e.delay)).on('error', (e) => console.log(e.message))
  pm.off('message', (e) => console.log(e.message))
  const states = pm.list().map((p) => p.state)
  console.log(pid, restarted, states)

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
}
void main()
