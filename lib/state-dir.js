'use strict'
// The state directory: where pm records the services it runs, so that the next start of the
// same app can end what a killed run left behind (src/leftovers does the work, on pm's own
// thread). Node 12 syntax only.

const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')
const native = require('./native')
const plainData = require('./plain-data')
const pmError = require('./errors').pmError

let stateDir = null
let used = false

// The same app must find its own records again: Electron apps by their userData directory,
// plain Node by their main script.
function defaultStateDir () {
  if (process.versions.electron && process.type === 'browser') {
    return path.join(require('electron').app.getPath('userData'), 'elife-pm')
  }
  let main = process.argv[1] ? path.resolve(process.argv[1]) : path.join(process.cwd(), '[eval]')
  try {
    main = fs.realpathSync(main)
  } catch (e) {}
  const hash = crypto.createHash('sha256').update(main).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), 'elife-pm-' + hash)
}

function configure (options) {
  options = plainData('pm.configure', options)
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw pmError('ERR_PM_OPTION', 'pm.configure: expected an object such as { stateDir }', TypeError)
  }
  Object.keys(options).forEach(function (k) {
    if (k !== 'stateDir') throw pmError('ERR_PM_OPTION', 'pm.configure: unknown option ' + JSON.stringify(k) + '; known options: stateDir', TypeError)
  })
  if (options.stateDir !== undefined) {
    if (typeof options.stateDir !== 'string' || options.stateDir === '') {
      throw pmError('ERR_PM_OPTION', 'pm.configure: "stateDir" must be a non-empty string (a directory)', TypeError)
    }
    if (used) throw pmError('ERR_PM_STATE_DIR', 'pm.configure: call it before the first start(); the state directory is in use')
    stateDir = path.resolve(options.stateDir)
  }
}

// Before the first service starts. The sweep runs on pm's own thread and holds back the first
// spawn until it is done; what it ended arrives as a process warning.
function useOnce () {
  if (used) return
  used = true
  try {
    native.useStateDir(stateDir || defaultStateDir())
  } catch (err) {
    process.emitWarning(err.message)
  }
}

module.exports = { configure: configure, useOnce: useOnce }
