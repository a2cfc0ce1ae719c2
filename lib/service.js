'use strict'
// The service side of elife/pm: what `require('elife/pm')` gives inside a process that pm
// started. `onstopping(fn)` runs `fn` when pm asks the service to stop, or when the main
// process is gone (its channel closes, or the kernel's death signal, SIGTERM, arrives); then
// the service exits on its own.
// Node 12 syntax only (services run on Electron 9's Node).

const CONTROL_CMD = require('./constants').CONTROL_CMD
const handlers = require('./handlers').create()
let listening = false
let stopping = null
let readySent = false

// Tells pm this service is ready: start({ waitReady: true }) resolves, dependents start.
// Returns true when pm was told; a second call, or a call in a process pm did not start, does
// nothing and returns false.
function ready () {
  if (readySent || typeof process.send !== 'function' || !process.connected) return false
  readySent = true
  process.send({ cmd: CONTROL_CMD, type: 'ready' }, function () {})
  return true
}

function onstopping (fn) {
  handlers.add(fn)
  listen()
}

function listen () {
  if (listening) return
  listening = true
  // pm's messages have a NODE_ cmd: Node hands them to 'internalMessage', never to the app's
  // 'message' listeners, and listening for them does not keep the process alive.
  process.on('internalMessage', function (msg) {
    if (msg && msg.cmd === CONTROL_CMD && msg.type === 'stop') stop(0)
  })
  // A 'disconnect' listener would keep the process alive (Node counts 'message' and
  // 'disconnect' listeners to ref the channel); the emitted 'removeListener' takes ours back out
  // of that count, on Node 12 as on Node 20, while the app's own listeners still count.
  process.on('disconnect', onOrphaned)
  process.emit('removeListener', 'disconnect', onOrphaned)
  process.on('SIGTERM', onOrphaned)
  // Tell pm to ask politely instead of sending SIGTERM.
  if (process.connected) {
    process.send({ cmd: CONTROL_CMD, type: 'onstopping' }, function () {})
  }
}

// The main process is gone (or someone else asked with SIGTERM): nobody will clean up after
// this service, so once its handlers ran it takes its whole process group (its own children)
// with it. pm made it the group's leader.
function onOrphaned () {
  stop(0, true)
}

// Runs every handler in order (a rejected one is reported and the rest still run), then exits.
function stop (code, orphaned) {
  if (stopping) return stopping
  stopping = handlers.runAll().then(function (ok) {
    if (!ok) code = 1
    if (orphaned) {
      try {
        process.kill(-process.pid, 'SIGKILL')
      } catch (e) {}
    }
    process.exit(code)
  })
  return stopping
}

module.exports = { onstopping: onstopping, ready: ready }
