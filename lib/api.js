'use strict'
// The main-process side of elife/pm: `require('elife/pm')` outside a service. A thin layer
// over the Rust supervisor (lib/native.js) that adds what only JS can do: checking a script
// with Electron's asar-aware `fs`, listeners (events.js), the keep-alive timer
// (keep-alive.js), quit handling (quit.js), the state directory (state-dir.js), where the
// Python helper (python-helper.js) and the Node services' preload (run-as-node.js) are, and
// errors with codes (errors.js). Node 12 syntax only (Electron 9 loads this file).

const fs = require('fs')

const native = require('./native')
const plainData = require('./plain-data')
const events = require('./events')
const keepAlive = require('./keep-alive')
const quit = require('./quit')
const stateDir = require('./state-dir')
const pythonHelper = require('./python-helper')
const errors = require('./errors')
const stdioStreams = require('./stdio')
const runAsNode = require('./run-as-node')

native.init(process.execPath, process.versions.node, process.versions.electron || null, events.dispatch)

function readable (p) {
  try {
    return fs.statSync(p).isFile()
  } catch (e) {
    return false
  }
}

function beforeFirstStart () {
  quit.install()
  stateDir.useOnce()
}

// A native promise: its outcome unwrapped (errors.js), then the keep-alive checked again.
function settled (promise) {
  return keepAlive.afterSettled(promise.then(errors.settle))
}

// `'name'`, `{ name }` or `{ id }`; a missing one is an error that says so, not a conversion
// failure.
function target (call, t) {
  if (t === undefined) {
    throw errors.pmError('ERR_PM_OPTION', 'pm.' + call + ': expected a name, { name } or { id }, got undefined', TypeError)
  }
  return plainData('pm.' + call, t, 'target')
}

// `readyWhen.log` may be a RegExp, the one exception to options being plain data: it crosses
// as its source and flags.
function ownValue (o, key) {
  if (!o || typeof o !== 'object' || require('util').types.isProxy(o)) return undefined
  const d = Object.getOwnPropertyDescriptor(o, key)
  return d && 'value' in d ? d.value : undefined
}

function withRegExp (options) {
  const ready = ownValue(options, 'readyWhen')
  const log = ownValue(ready, 'log')
  if (!(log instanceof RegExp)) return options
  const copy = Object.assign({}, options)
  copy.readyWhen = Object.assign({}, ready, { log: { source: log.source, flags: log.flags } })
  return copy
}

function start (options) {
  beforeFirstStart()
  const started = native.start(plainData('pm.start', withRegExp(options)), readable, pythonHelper.helperDir, runAsNode.preloadPath)
  keepAlive.update()
  return settled(started)
}

function stop (t) {
  return settled(native.stop(target('stop', t)))
}

function restart (t) {
  beforeFirstStart()
  const restarted = native.restart(target('restart', t))
  keepAlive.update()
  return settled(restarted)
}

function restartall () {
  beforeFirstStart()
  const restarted = native.restartall()
  keepAlive.update()
  return settled(restarted)
}

function send (t, message) {
  if (message === undefined) {
    throw errors.pmError('ERR_PM_OPTION', 'pm.send: expected a message (plain data), got undefined', TypeError)
  }
  return native.send(target('send', t), plainData('pm.send', message, 'message'))
}

// In the main process there is nothing to tell: ready() is a service's call.
function ready () {
  return false
}

// The stdin and stdout of the one running process of a piped service (stdio: 'pipe').
function stdio (t) {
  const pair = native.stdio(target('stdio', t))
  return pair ? stdioStreams.streams(pair) : null
}

/** Lines asked of pm.logs() at most. */
const MAX_LOG_LINES = 100000

function logs (t, options) {
  const opts = plainData('pm.logs', options === undefined ? {} : options)
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw errors.pmError('ERR_PM_OPTION', 'pm.logs: options must be an object such as { lines: 100 }', TypeError)
  }
  Object.keys(opts).forEach(function (k) {
    if (k !== 'lines') throw errors.pmError('ERR_PM_OPTION', 'pm.logs: unknown option ' + JSON.stringify(k) + '; known options: lines', TypeError)
  })
  const lines = opts.lines === undefined ? 100 : opts.lines
  if (typeof lines !== 'number' || !Number.isInteger(lines) || lines < 1 || lines > MAX_LOG_LINES) {
    throw errors.pmError('ERR_PM_OPTION', 'pm.logs: option "lines" must be a whole number from 1 to ' + MAX_LOG_LINES + ', got ' +
      (typeof lines === 'number' ? String(lines) : typeof lines), TypeError)
  }
  return settled(native.logs(target('logs', t), lines))
}

function stopall () {
  return settled(native.stopall())
}

function list () {
  return native.list()
}

function on (event, fn) {
  events.on(event, fn)
  return module.exports
}

function off (event, fn) {
  events.off(event, fn)
  return module.exports
}

module.exports = {
  start: start,
  stop: stop,
  restart: restart,
  restartall: restartall,
  stopall: stopall,
  list: list,
  send: send,
  ready: ready,
  on: on,
  off: off,
  onstopping: quit.onstopping,
  configure: stateDir.configure,
  stdio: stdio,
  logs: logs
}
