'use strict'
// Holds a plain Node process open while pm has work, like a child process handle would. The
// decision is the native side's (src/keep_alive.rs): this file only asks it, after every event
// JS takes and after every API call, and refs or unrefs a timer that never fires.
// Node 12 syntax only (Electron 9 loads this file).

const native = require('./native')

const timer = setInterval(function () {}, 0x7fffffff)
timer.unref()

function update () {
  if (native.busy()) timer.ref()
  else timer.unref()
}

// Re-checks once a promise from the native side settles, passing its outcome through.
function afterSettled (promise) {
  return promise.then(function (value) {
    update()
    return value
  }, function (err) {
    update()
    throw err
  })
}

module.exports = { update: update, afterSettled: afterSettled }
