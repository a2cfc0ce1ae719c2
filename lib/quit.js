'use strict'
// Quitting: the main process's own onstopping handlers, then every service stopped, whichever
// way the process ends (Electron's quit, a signal in plain Node, process.exit()). Node 12
// syntax only.

const native = require('./native')
const handlers = require('./handlers')

/** How long the main process's onstopping handlers may take at quit, in ms. */
const QUIT_HANDLERS_TIMEOUT = 5000
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }

const stoppingHandlers = handlers.create()
let shutdownPromise = null
let handlersRan = false
let hooksInstalled = false

function onstopping (fn) {
  stoppingHandlers.add(fn)
  install()
}

const reportHandlerError = handlers.report

// Runs the main process's handlers once, in order, each awaited; all of them together get
// QUIT_HANDLERS_TIMEOUT ms.
function runStoppingHandlers () {
  if (handlersRan) return Promise.resolve()
  handlersRan = true
  const all = stoppingHandlers.runAll()
  let timer
  const bound = new Promise(function (resolve) {
    timer = setTimeout(function () {
      console.error('elife/pm: onstopping handlers took over ' + QUIT_HANDLERS_TIMEOUT + ' ms; stopping services anyway')
      resolve()
    }, QUIT_HANDLERS_TIMEOUT)
  })
  return Promise.race([all, bound]).then(function () { clearTimeout(timer) })
}

// The orderly way out: the app's handlers, then every service stopped.
function shutdown (stopall) {
  if (!shutdownPromise) {
    shutdownPromise = runStoppingHandlers().then(function () { return stopall() })
  }
  return shutdownPromise
}

// process.exit(), app.exit(), or the end of the script: nothing async runs any more, so the
// handlers are called without waiting and the services are stopped synchronously.
function onExit () {
  if (!handlersRan) {
    handlersRan = true
    stoppingHandlers.callAll()
  }
  native.stopallSync()
}

// Electron: hold 'will-quit' until the handlers ran and the services are gone, then quit again.
// Electron itself turns SIGINT and SIGTERM into a quit.
function installElectronHooks (stopall) {
  const app = require('electron').app
  let done = false
  app.on('will-quit', function (event) {
    if (done) return
    event.preventDefault()
    shutdown(stopall).then(null, reportHandlerError).then(function () {
      done = true
      app.quit()
    })
  })
}

// Plain Node: on a signal the app does not handle itself, stop everything, then exit with the
// usual 128 + n. A second signal while stopping exits at once (the exit hook still kills).
function installSignalHook (signal, stopall) {
  process.on(signal, function onSignal () {
    if (process.listenerCount(signal) > 1) return
    const code = 128 + SIGNALS[signal]
    if (shutdownPromise) process.exit(code)
    shutdown(stopall).then(null, reportHandlerError).then(function () { process.exit(code) })
  })
}

/** Installs the quit hooks once, on first use of pm. */
function install () {
  if (hooksInstalled) return
  hooksInstalled = true
  const stopall = function () { return native.stopall() }
  process.on('exit', onExit)
  if (process.versions.electron && process.type === 'browser') {
    installElectronHooks(stopall)
  } else {
    Object.keys(SIGNALS).forEach(function (signal) { installSignalHook(signal, stopall) })
  }
}

module.exports = { onstopping: onstopping, install: install }
