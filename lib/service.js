'use strict'
// The service side of elife/pm: what `require('elife/pm')` gives inside a process that pm
// started. `onstopping(fn)` runs `fn` when pm asks the service to stop, or when pm's channel
// closes because the main process is gone; then the service exits on its own.
// Node 12 syntax only (services run on Electron 9's Node).

const CONTROL_CMD = 'NODE_ELIFE_PM'
const handlers = []
let listening = false
let stopping = null

function onstopping (fn) {
  if (typeof fn !== 'function') {
    throw new TypeError('pm.onstopping: expected a function, got ' + (fn === null ? 'null' : typeof fn))
  }
  handlers.push(fn)
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
  process.on('disconnect', onDisconnect)
  process.emit('removeListener', 'disconnect', onDisconnect)
  // Tell pm to ask politely instead of sending SIGTERM.
  if (process.connected) {
    process.send({ cmd: CONTROL_CMD, type: 'onstopping' }, function () {})
  }
}

function onDisconnect () {
  stop(0)
}

// Runs every handler in order (a rejected one is reported and the rest still run), then exits.
function stop (code) {
  if (stopping) return stopping
  stopping = handlers.reduce(function (done, fn) {
    return done.then(function () { return fn() }).then(null, function (err) {
      code = 1
      console.error('elife/pm: an onstopping handler failed:', err)
    })
  }, Promise.resolve()).then(function () {
    process.exit(code)
  })
  return stopping
}

module.exports = { onstopping: onstopping }
