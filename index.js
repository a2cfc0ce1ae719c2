'use strict'
// elife/pm: `require('elife/pm')`. In the main process this is the process manager; inside a
// service that pm started, `onstopping` is the service's own hook (the rest stays available
// for services that manage processes of their own). In a worker thread every call throws: the
// supervisor belongs to the main thread. Node 12 syntax only.

const constants = require('./lib/constants')
const PARENT_ENV = constants.PARENT_ENV

// pm marks its services with the main process's pid; a grandchild that inherits the variable
// has another parent and is not a service of ours.
const isService = typeof process.send === 'function' &&
  String(process.ppid) === process.env[PARENT_ENV]
delete process.env[PARENT_ENV]

if (isService) {
  const service = require('./lib/service')
  const api = {}
  constants.API.filter(function (name) {
    return name !== 'onstopping' && name !== 'ready'
  }).forEach(function (name) {
    api[name] = function () {
      const manager = require('./lib/api')
      return manager[name].apply(manager, arguments)
    }
  })
  api.onstopping = service.onstopping
  api.ready = service.ready
  module.exports = api
} else if (!require('worker_threads').isMainThread) {
  module.exports = require('./lib/not-main-thread')
} else {
  module.exports = require('./lib/api')
}

// `import pm from 'elife/pm'` compiled by TypeScript without esModuleInterop (or by Babel)
// reads `.default`: the module itself (not enumerable, so it does not show up as an API call).
if (!Object.prototype.hasOwnProperty.call(module.exports, 'default')) {
  Object.defineProperty(module.exports, 'default', { value: module.exports })
}
