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
const { spawn } = require('node:child_process')
const { tmpdir, waitFor } = require('../helpers')
const { NODE_EXE, ENV, requireWine, winPath, aliveOf, leftAfter, linuxPids } = require('./wine')

const MAIN = path.join(__dirname, 'fixtures', 'orphan-main.js')

test('kill -9 of the main process (its Wine process) leaves nothing it started', async () => {
  requireWine()
  const out = tmpdir('winorphans')
  const log = fs.openSync(path.join(out, 'main.out'), 'w')
  // A marker argument tells this main process's Wine process apart from every other.
  const marker = 'orphan-test-' + process.pid
  const main = spawn('wine', [NODE_EXE, MAIN, marker], { env: Object.assign({}, ENV, { OUT: winPath(out) }), stdio: ['ignore', log, log] })
  fs.closeSync(log)
  const exited = new Promise((resolve) => main.on('exit', resolve))
  try {
    const pids = JSON.parse(await waitFor('pids.json', () => {
      try { return fs.readFileSync(path.join(out, 'pids.json'), 'utf8') } catch (e) { return null }
    }, 60000))
    const started = pids.services.concat(pids.grandchildren)
    assert.deepStrictEqual(aliveOf(started, path.join(out, 'before.out')), started, 'all running before the kill')

    // The Linux process that is the Windows main process (not the `wine` launcher).
    const found = linuxPids(`node\\.exe .*orphan-main\\.js ${marker}`)
    assert.ok(found.length >= 1, 'found the main process among Linux processes')
    for (const p of found) process.kill(p, 'SIGKILL')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10000))])

    const left = leftAfter(started, 10000, path.join(out, 'after.out'))
    assert.deepStrictEqual(left, [], `left running after kill -9: ${left} of ${JSON.stringify(pids)}`)
  } finally {
    try { main.kill('SIGKILL') } catch (e) {}
  }
})
