'use strict'
// What a worker thread gets from `require('elife/pm')`: an API whose every call says why it
// cannot work there. It never loads or initialises the supervisor, so the worker's exit never
// touches the main thread's services. Node 12 syntax only.

const constants = require('./constants')
const pmError = require('./errors').pmError

function refuse () {
  throw pmError('ERR_PM_NOT_MAIN_THREAD', constants.NOT_MAIN_THREAD)
}

module.exports = {}
constants.API.forEach(function (name) {
  module.exports[name] = refuse
})
