'use strict'
// For the suites that run in Linux node and drive Windows programs under Wine (the kill -9 and
// Electron suites): where scripts/windows/setup.sh put the runtimes and the prefix, and how to
// ask Windows which processes still run. Windows node.exe under Wine cannot write to a Unix pipe,
// so output always goes through a file.

const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync, execFileSync } = require('node:child_process')

const { ROOT, CACHE, NODE_EXE, ELECTRON_EXE, ENV, winPath } = require('../../scripts/windows/wine')

/** Fails (the suite does not skip) when Wine or the Windows runtimes are missing. */
function requireWine () {
  for (const exe of [NODE_EXE, ELECTRON_EXE]) assert.ok(fs.existsSync(exe), `${exe} is missing: run scripts/windows/setup.sh`)
  execFileSync('wine', ['--version'], { env: ENV })
}

/** Runs Windows node.exe with `args`; its output goes through `outFile`. */
function winNode (args, outFile) {
  const fd = fs.openSync(outFile, 'w')
  const r = spawnSync('wine', [NODE_EXE].concat(args), { env: ENV, stdio: ['ignore', fd, fd], timeout: 60000 })
  fs.closeSync(fd)
  return { status: r.status, text: fs.readFileSync(outFile, 'utf8') }
}

/** Which of `pids` Windows (this prefix) still runs. */
function aliveOf (pids, outFile) {
  const code = `console.log(JSON.stringify(${JSON.stringify(pids)}.filter((p) => { try { process.kill(p, 0); return true } catch (e) { return false } })))`
  const r = winNode(['-e', code], outFile)
  assert.strictEqual(r.status, 0, r.text)
  return JSON.parse(r.text.trim().split('\n').pop())
}

/** Polls until none of `pids` runs or `ms` passed; returns those still running. */
function leftAfter (pids, ms, outFile) {
  const until = Date.now() + ms
  let left = aliveOf(pids, outFile)
  while (left.length && Date.now() < until) left = aliveOf(pids, outFile)
  return left
}

/** The Linux pids of Windows processes whose command line matches `pattern` (pgrep -f). */
function linuxPids (pattern) {
  const found = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' })
  return found.stdout.split('\n').filter(Boolean).map(Number)
}

module.exports = { ROOT, CACHE, NODE_EXE, ELECTRON_EXE, ENV, requireWine, winPath, winNode, aliveOf, leftAfter, linuxPids }
