'use strict'
// A list of `onstopping` handlers run in order, each awaited; a handler that throws or rejects
// is reported on stderr and the rest still run. Used by the main process (lib/quit.js) and by
// services (lib/service.js). Node 12 syntax only.

function report (err) {
  console.error('elife/pm: an onstopping handler failed:', err)
}

function create () {
  const handlers = []
  return {
    /** Adds a handler; throws a TypeError (code ERR_PM_OPTION) if it is not a function. */
    add: function (fn) {
      if (typeof fn !== 'function') {
        throw require('./errors').pmError('ERR_PM_OPTION',
          'pm.onstopping: expected a function, got ' + (fn === null ? 'null' : typeof fn), TypeError)
      }
      handlers.push(fn)
    },
    /** Runs every handler in order; resolves with true when all succeeded. */
    runAll: function () {
      let ok = true
      return handlers.reduce(function (done, fn) {
        return done.then(function () { return fn() }).then(null, function (err) {
          ok = false
          report(err)
        })
      }, Promise.resolve()).then(function () { return ok })
    },
    /** Calls every handler without waiting (nothing async runs any more, at process exit). */
    callAll: function () {
      handlers.forEach(function (fn) {
        try {
          const r = fn()
          if (r && typeof r.then === 'function') r.then(null, report)
        } catch (err) {
          report(err)
        }
      })
    }
  }
}

module.exports = { create: create, report: report }
