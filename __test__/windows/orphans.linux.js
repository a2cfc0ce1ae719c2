'use strict'
// No orphans on Windows: a Windows node.exe main process (under Wine) with a Node service that
// has a grandchild and a batch-file service (cmd.exe -> node.exe) is killed from Linux with
// kill -9 of its Wine process; nothing it started may be left. It is the jobs' kill-on-close
// that ends them: nothing of pm runs after the kill. Runs in Linux node, driving Wine; fails
// (never skips) when Wine or the Windows runtimes are missing.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn, spawnSync, execFileSync } = require('node:child_process')
const { tmpdir, waitFor } = require('../helpers')

const ROOT = path.join(__dirname, '..', '..')
const CACHE = path.join(ROOT, '.cache', 'windows')
const NODE_EXE = path.join(CACHE, 'node-20.20.2', 'node.exe')
const ENV = Object.assign({}, process.env, { WINEPREFIX: path.join(CACHE, 'prefix'), WINEARCH: 'win64', WINEDEBUG: '-all' })
const MAIN = path.join(__dirname, 'fixtures', 'orphan-main.js')

// Runs a script in Windows node.exe and returns its output (through a file: Windows node.exe
// under Wine cannot write to a Unix pipe).
function winNode (args, out) {
  const fd = fs.openSync(out, 'w')
  const r = spawnSync('wine', [NODE_EXE].concat(args), { env: ENV, stdio: ['ignore', fd, fd], timeout: 60000 })
  fs.closeSync(fd)
  return { status: r.status, text: fs.readFileSync(out, 'utf8') }
}

// Which of `pids` Windows still runs (asked from inside the same Wine prefix).
function aliveOf (pids, out) {
  const code = `console.log(JSON.stringify(${JSON.stringify(pids)}.filter((p) => { try { process.kill(p, 0); return true } catch (e) { return false } })))`
  const r = winNode(['-e', code], out)
  assert.strictEqual(r.status, 0, r.text)
  return JSON.parse(r.text.trim().split('\n').pop())
}

test('kill -9 of the main process (its Wine process) leaves nothing it started', async () => {
  assert.ok(fs.existsSync(NODE_EXE), `${NODE_EXE} is missing: run scripts/windows/setup.sh`)
  execFileSync('wine', ['--version'], { env: ENV })
  const out = tmpdir('winorphans')
  const winOut = execFileSync('winepath', ['-w', out], { env: ENV, encoding: 'utf8' }).trim()
  const log = fs.openSync(path.join(out, 'main.out'), 'w')
  // A marker argument tells this main process's Wine process apart from every other.
  const marker = 'orphan-test-' + process.pid
  const main = spawn('wine', [NODE_EXE, MAIN, marker], { env: Object.assign({}, ENV, { OUT: winOut }), stdio: ['ignore', log, log] })
  fs.closeSync(log)
  const exited = new Promise((resolve) => main.on('exit', resolve))
  try {
    const pids = JSON.parse(await waitFor('pids.json', () => {
      try { return fs.readFileSync(path.join(out, 'pids.json'), 'utf8') } catch (e) { return null }
    }, 60000))
    const started = pids.services.concat(pids.grandchildren)
    assert.deepStrictEqual(aliveOf(started, path.join(out, 'before.out')), started, 'all running before the kill')

    // The Linux process that is the Windows main process (not the `wine` launcher).
    const found = spawnSync('pgrep', ['-f', `node\\.exe .*orphan-main\\.js ${marker}`], { encoding: 'utf8' })
    const linuxPids = found.stdout.split('\n').filter(Boolean).map(Number)
    assert.ok(linuxPids.length >= 1, 'found the main process among Linux processes: ' + found.stdout)
    for (const p of linuxPids) process.kill(p, 'SIGKILL')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10000))])

    const until = Date.now() + 10000
    let left = started
    while (left.length && Date.now() < until) left = aliveOf(started, path.join(out, 'after.out'))
    assert.deepStrictEqual(left, [], `left running after kill -9: ${left} of ${JSON.stringify(pids)}`)
  } finally {
    try { main.kill('SIGKILL') } catch (e) {}
  }
})
