'use strict'
// For Linux node scripts that drive Windows programs under Wine (the demo's --windows run, the
// Windows suites that run in Linux node): where scripts/windows/setup.sh puts the runtimes and
// the prefix (the versions env.sh pins), Wine's environment, and Windows paths.

const childProcess = require('child_process')
const path = require('path')

const ROOT = path.join(__dirname, '..', '..')
const CACHE = path.join(ROOT, '.cache', 'windows')
const NODE_EXE = path.join(CACHE, 'node-20.20.2', 'node.exe')
const ELECTRON_EXE = path.join(CACHE, 'electron-9.4.1', 'electron.exe')
const PREFIX = path.join(CACHE, 'prefix')
const ENV = Object.assign({}, process.env, { WINEPREFIX: PREFIX, WINEARCH: 'win64', WINEDEBUG: '-all' })
for (const k of ['ELECTRON_RUN_AS_NODE', 'NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_TEST_CONTEXT', 'ELIFE_PM_PARENT']) delete ENV[k]

/** The Windows path of a Linux path, as Windows programs under Wine see it. */
function winPath (p) {
  return childProcess.execFileSync('winepath', ['-w', p], { env: ENV, encoding: 'utf8' }).trim()
}

module.exports = { ROOT, CACHE, NODE_EXE, ELECTRON_EXE, PREFIX, ENV, winPath }
