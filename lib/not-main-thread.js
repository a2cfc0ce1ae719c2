'use strict'
// What a worker thread gets from `require('elife/pm')`: an API whose every call says why it
// cannot work there. It never loads or initialises the supervisor, so the worker's exit never
// touches the main thread's services. Node 12 syntax only.

const MESSAGE = 'elife/pm runs in the main thread only (Electron\'s main process or ' +
  'Node\'s main thread); it cannot be used from a worker thread'

function refuse () {
  throw new Error(MESSAGE)
}

module.exports = {}
;['start', 'stop', 'restart', 'stopall', 'list', 'on', 'off', 'onstopping', 'configure'].forEach(function (name) {
  module.exports[name] = refuse
})
