'use strict'
// The main-process side of elife/pm: `require('elife/pm')` outside a service. A thin layer
// over the Rust supervisor (lib/native.js) that adds what only JS can do: checking a script
// with Electron's asar-aware `fs`, listeners (events.js), the keep-alive timer
// (keep-alive.js), quit handling (quit.js), the state directory (state-dir.js), and where the
// Python helper (python-helper.js) and the Node services' preload (run-as-node.js) are.
// Node 12 syntax only (Electron 9 loads this file).

const fs = require('fs')

const native = require('./native')
const plainData = require('./plain-data')
const events = require('./events')
const keepAlive = require('./keep-alive')
const quit = require('./quit')
const stateDir = require('./state-dir')
const pythonHelper = require('./python-helper')
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

function start (options) {
  beforeFirstStart()
  const started = native.start(plainData('pm.start', options), readable, pythonHelper.helperDir, runAsNode.preloadPath)
  keepAlive.update()
  return keepAlive.afterSettled(started)
}

function target (t) {
  return t === undefined ? null : t
}

function stop (t) {
  return keepAlive.afterSettled(native.stop(plainData('pm.stop', target(t), 'target')))
}

function restart (t) {
  beforeFirstStart()
  const restarted = native.restart(plainData('pm.restart', target(t), 'target'))
  keepAlive.update()
  return keepAlive.afterSettled(restarted)
}

function restartall () {
  beforeFirstStart()
  const restarted = native.restartall()
  keepAlive.update()
  return keepAlive.afterSettled(restarted)
}

function send (t, message) {
  return native.send(plainData('pm.send', t, 'target'), plainData('pm.send', message, 'message'))
}

// In the main process there is nothing to tell: ready() is a service's call.
function ready () {
  return false
}

function stopall () {
  return keepAlive.afterSettled(native.stopall())
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
  configure: stateDir.configure
}
