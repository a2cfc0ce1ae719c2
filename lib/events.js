'use strict'
// Supervisor events on the JS side: listeners for each event name, and the dispatcher the
// native side calls for every event, in order. The native side is told which events have
// listeners, and does not convert those nobody hears (but 'error'). Node 12 syntax only.

const native = require('./native')
const keepAlive = require('./keep-alive')
const pmError = require('./errors').pmError

const EVENTS = require('./constants').EVENTS
const listeners = {}
EVENTS.forEach(function (e) { listeners[e] = [] })

function warn (message) {
  process.emitWarning('elife/pm: ' + message)
}

// Called from Rust with a batch of events, in order, as a JSON array. It must never throw: an
// exception here would reach Node as an uncaught one. The next batch comes once the event loop
// has turned (the setImmediate): a flood of events never holds the main thread batch after
// batch.
function dispatch (json) {
  setImmediate(native.eventsTaken)
  let batch = []
  try {
    batch = JSON.parse(json)
  } catch (err) {
    warn('unreadable events: ' + err.message)
  }
  for (let i = 0; i < batch.length; i++) {
    const event = batch[i]
    try {
      if (event.type === 'warning') {
        warn(event.message)
      } else if (event.type !== 'ended') {
        deliver(event)
      }
    } catch (err) {
      // Nothing better to do than not crash the main process.
    }
  }
  try {
    keepAlive.update()
  } catch (err) {}
}

function deliver (event) {
  const list = listeners[event.type]
  if (!list || list.length === 0) {
    // Unlike EventEmitter, an unheard 'error' does not throw; it is still worth a warning.
    if (event.type === 'error') warn((event.name || 'a service') + ': ' + event.message)
    return
  }
  const payload = Object.assign({}, event)
  delete payload.type
  list.slice().forEach(function (fn) {
    try {
      fn(payload)
    } catch (err) {
      warn('a "' + event.type + '" listener threw: ' + (err && err.stack ? err.stack : err))
    }
  })
}

function checkListener (call, event, fn) {
  if (EVENTS.indexOf(event) < 0) {
    throw pmError('ERR_PM_OPTION', 'pm.' + call + ': unknown event ' + JSON.stringify(event) + '; events are ' + EVENTS.join(', '), TypeError)
  }
  if (typeof fn !== 'function') throw pmError('ERR_PM_OPTION', 'pm.' + call + ': the listener must be a function', TypeError)
}

function on (event, fn) {
  checkListener('on', event, fn)
  listeners[event].push(fn)
  if (listeners[event].length === 1) {
    native.setHeard(event, true)
    if (event === 'log') native.setLogListening(true)
  }
}

function off (event, fn) {
  checkListener('off', event, fn)
  const i = listeners[event].lastIndexOf(fn)
  if (i >= 0) listeners[event].splice(i, 1)
  if (i >= 0 && listeners[event].length === 0) {
    native.setHeard(event, false)
    if (event === 'log') native.setLogListening(false)
  }
}

module.exports = { dispatch: dispatch, on: on, off: off }
