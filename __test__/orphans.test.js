'use strict'
// No service outlives a main process that is killed outright: the kernel's death signal ends
// the services at once, and the next start of the same app ends what is left (grandchildren),
// without touching a second copy of the app or an unrelated process that got a recorded pid.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { FIXTURES, tmpdir, waitFor, isAlive, survivors } = require('./helpers')

const MAIN = path.join(FIXTURES, 'orphan-main.js')
const stray = []
test.after(() => {
  for (const pid of stray) {
    try { process.kill(pid, 'SIGKILL') } catch (e) {}
  }
})

function startTime (pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
}

async function launch (out, state, run) {
  const child = spawn(process.execPath, [MAIN], { env: Object.assign({}, process.env, { OUT: out, STATE: state, RUN: run }), stdio: 'ignore' })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const pids = JSON.parse(await waitFor(run + ' services', () => {
    try { return fs.readFileSync(path.join(out, run + '.pids'), 'utf8') } catch (e) { return null }
  }, 15000))
  const grandchild = Number(await waitFor('grandchild', () => {
    try { return fs.readFileSync(path.join(out, run + '-family.grandchild'), 'utf8').trim() } catch (e) { return null }
  }))
  await waitFor('the Node service is ready', () => fs.existsSync(path.join(out, run + '-node.ready')))
  stray.push(child.pid, ...pids, grandchild)
  return { child, exited, pids, grandchild }
}

test('SIGKILL of the main process: every service dies at once; the next start ends the grandchild', async () => {
  const out = tmpdir('orphans')
  const state = tmpdir('state')
  const first = await launch(out, state, 'first')
  assert.ok(first.pids.concat(first.grandchild).every(isAlive))
  first.child.kill('SIGKILL')
  await first.exited
  assert.deepStrictEqual(await survivors(first.pids, 2000), [], 'a direct service outlived its main process')
  assert.ok(fs.existsSync(path.join(out, 'first-node.stopped')), "the Node service's onstopping ran")
  // The shell service's own child is out of the death signal's reach: the record keeps it.
  assert.ok(isAlive(first.grandchild), 'the grandchild is only ended by the next start')

  const second = await launch(out, state, 'second')
  assert.deepStrictEqual(await survivors([first.grandchild], 2000), [], 'the next start ended the leftover')
  // It was ended off the main thread (start() calls returned at once; this took 1.6 s on the
  // main thread before), and reported with its process group.
  const startMs = Number(fs.readFileSync(path.join(out, 'second.start-ms'), 'utf8'))
  assert.ok(startMs < 1000, `start() calls blocked the main thread for ${startMs} ms`)
  const warnings = await waitFor('the sweep warning', () => {
    try { return fs.readFileSync(path.join(out, 'second.warnings'), 'utf8') } catch (e) { return null }
  })
  // (Groups of services that died but were not reaped yet by whoever inherited them may be
  // counted too: only the one with the grandchild is certain to be there.)
  assert.match(warnings, new RegExp('ended \\d+ process group\\(s\\) left running by an earlier run .*\\b' + first.pids[3] + '\\b'))
  assert.ok(second.pids.concat(second.grandchild).every(isAlive), "the new run's services run")
  second.child.kill('SIGTERM')
  await second.exited
  assert.deepStrictEqual(await survivors(second.pids), [])
})

test('a second copy of the app running at the same time is left alone', async () => {
  const out = tmpdir('orphans')
  const state = tmpdir('state')
  const a = await launch(out, state, 'copyA')
  const b = await launch(out, state, 'copyB')
  assert.ok(a.pids.concat(a.grandchild).every(isAlive), "copy B's start killed copy A's services")
  for (const copy of [a, b]) {
    copy.child.kill('SIGTERM')
    await copy.exited
  }
  assert.deepStrictEqual(await survivors(a.pids.concat(b.pids)), [])
})

test('a recorded pid now used by an unrelated process is not killed', async () => {
  const out = tmpdir('orphans')
  const state = tmpdir('state')
  const sleeper = () => {
    const p = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' })
    stray.push(p.pid)
    return p.pid
  }
  const unrelated = sleeper()
  const leftover = sleeper()
  await waitFor('sleepers', () => isAlive(unrelated) && isAlive(leftover))
  // A dead run's record: one pid matches its start time (ours, left over), one does not (the
  // OS gave the pid to another process since).
  const record = {
    main: { pid: 999999, start: 1 },
    services: [
      { pid: unrelated, start: startTime(unrelated) + 1, pgid: unrelated },
      { pid: leftover, start: startTime(leftover), pgid: leftover }
    ]
  }
  fs.writeFileSync(path.join(state, 'run-999999.json'), JSON.stringify(record))
  const run = await launch(out, state, 'sweeper')
  assert.deepStrictEqual(await survivors([leftover], 2000), [], 'the matching leftover was ended')
  assert.ok(isAlive(unrelated), 'the unrelated process was killed')
  assert.ok(!fs.existsSync(path.join(state, 'run-999999.json')), 'the dead run record is removed')
  run.child.kill('SIGTERM')
  await run.exited
  assert.deepStrictEqual(fs.readdirSync(state), [], 'a clean exit leaves no record')
})

test('services outlive idle runtime threads (the death signal follows the forking thread)', async () => {
  // PR_SET_PDEATHSIG fires when the thread that forked the child exits. tokio retires idle
  // blocking-pool threads after 10 s; a service forked from one would die then.
  const pm = require('..')
  const out = tmpdir('idle')
  const info = await pm.start({ name: 'idle', script: path.join(FIXTURES, 'service.js'), env: { OUT: out, TAG: 'idle' } })
  await new Promise((resolve) => setTimeout(resolve, 11500))
  assert.ok(isAlive(info.pid), 'the service died with an idle thread')
  assert.strictEqual(pm.list()[0].state, 'running')
  await pm.stopall()
})
