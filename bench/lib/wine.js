'use strict'
// For `npm run bench -- --windows` (Linux side): runs bench workers in the official Windows
// node.exe under Wine, from the runtimes and prefix scripts/windows/setup.sh prepares. Windows
// node.exe under Wine fails with EBADF when its stdout is a Unix pipe: a worker's output always
// goes to a file.
const fs = require('fs')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')

const ROOT = path.join(__dirname, '..', '..')
// Where scripts/windows/setup.sh puts Windows node.exe and the prefix, and Wine's environment
// (nothing of this Linux Node's own context leaks into the Windows one).
const { NODE_EXE, PREFIX, ENV, winPath } = require('../../scripts/windows/wine')

/** Fails with what to run when Wine, Windows node.exe or the Windows addon is missing. */
function ensure () {
  const problems = []
  try { execFileSync('wine', ['--version'], { env: ENV, stdio: 'ignore' }) } catch (e) { problems.push('wine is not installed') }
  if (!fs.existsSync(NODE_EXE)) problems.push(`${NODE_EXE} is missing`)
  if (!fs.existsSync(PREFIX)) problems.push(`the Wine prefix ${PREFIX} is missing`)
  if (problems.length) throw new Error(problems.join('; ') + ': run `bash scripts/windows/setup.sh` (or `npm run test:windows`) first')
  if (!fs.existsSync(path.join(ROOT, 'pm.win32-x64-gnu.node'))) {
    console.error('pm.win32-x64-gnu.node is missing: npm run build:windows')
    execFileSync('npm', ['run', 'build:windows'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] })
  }
}

/**
 * Starts the prefix's wineserver (persistent) and Wine's own background processes before any
 * worker, without the bench's tag, so that the stray check after each worker sees only what the
 * worker started; returns Windows node.exe's version.
 */
function warmUp (outFile) {
  spawnSync('wineserver', ['-p'], { env: ENV, stdio: 'ignore' })
  const fd = fs.openSync(outFile, 'w')
  const r = spawnSync('wine', [NODE_EXE, '-p', 'process.version + " " + process.arch'], { env: ENV, stdio: ['ignore', fd, fd], timeout: 120000 })
  fs.closeSync(fd)
  const text = fs.readFileSync(outFile, 'utf8').trim()
  fs.rmSync(outFile, { force: true })
  if (r.status !== 0) throw new Error(`Windows node.exe under Wine failed (${r.status}): ${text}`)
  return text.split('\n').pop()
}

/** Ends the prefix's wineserver and every Windows process of the prefix. */
function shutDown () {
  spawnSync('wineserver', ['-k'], { env: ENV, stdio: 'ignore' })
}

function wineVersion () {
  try { return execFileSync('wine', ['--version'], { env: ENV, encoding: 'utf8' }).trim() } catch (e) { return '?' }
}

module.exports = { NODE_EXE, ENV, winPath, ensure, warmUp, shutDown, wineVersion }
