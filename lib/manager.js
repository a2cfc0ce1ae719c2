'use strict'
// The main-process side of elife/pm: a thin layer over the Rust supervisor (lib/native.js) that
// adds what only JS can do: checking a script exists with Electron's asar-aware `fs`, event
// listeners, keeping a plain Node process alive only while services run, and stopping every
// service when the main process quits. Node 12 syntax only (Electron 9 loads this file).

const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')
const native = require('./native')
const plainData = require('./plain-data')

/** How long the main process's onstopping handlers may take at quit, in ms. */
const QUIT_HANDLERS_TIMEOUT = 5000
const EVENTS = ['start', 'exit', 'restart', 'stop', 'error', 'message', 'log']
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }

const listeners = {}
EVENTS.forEach(function (e) { listeners[e] = [] })

// A timer that never fires holds the event loop open while services run, like a child process
// handle would; it is unref'd once nothing runs, so pm never keeps a process alive by itself.
const keepAlive = setInterval(function () {}, 0x7fffffff)
keepAlive.unref()

function updateKeepAlive () {
  if (native.busy()) keepAlive.ref()
  else keepAlive.unref()
}

// Called from Rust for every event. It must never throw: an exception here would reach Node as
// an uncaught one.
function dispatch (event) {
  try {
    updateKeepAlive()
    const list = listeners[event.type]
    if (!list || list.length === 0) {
      // Unlike EventEmitter, an unheard 'error' does not throw; it is still worth a warning.
      if (event.type === 'error') process.emitWarning('elife/pm: ' + (event.name || 'a service') + ': ' + event.message)
      return
    }
    const payload = Object.assign({}, event)
    delete payload.type
    list.slice().forEach(function (fn) {
      try {
        fn(payload)
      } catch (err) {
        process.emitWarning('elife/pm: a "' + event.type + '" listener threw: ' + (err && err.stack ? err.stack : err))
      }
    })
  } catch (err) {
    // Nothing better to do than not crash the main process.
  }
}

// Python cannot read inside an asar archive: when this package is packed in one, its Python
// helper comes from app.asar.unpacked, or else from a copy in a fresh private directory (made
// by mkdtemp, mode 0700: a predictable shared path could be planted by another user), removed
// when the process exits.
function pythonHelperDir () {
  const dir = path.join(__dirname, '..', 'python')
  const inArchive = /^(.*?\.asar)([\\/].*)$/.exec(dir)
  if (!inArchive) return dir
  const unpacked = inArchive[1] + '.unpacked' + inArchive[2]
  if (fs.existsSync(path.join(unpacked, 'elife_pm', '__init__.py'))) return unpacked
  try {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-python-'))
    const files = fs.readdirSync(path.join(dir, 'elife_pm')).filter(function (f) { return /\.py$/.test(f) })
    fs.mkdirSync(path.join(copy, 'elife_pm'))
    files.forEach(function (f) {
      fs.writeFileSync(path.join(copy, 'elife_pm', f), fs.readFileSync(path.join(dir, 'elife_pm', f)))
    })
    // Node 12 has no fs.rmSync: remove what was written (Python may have added __pycache__).
    process.on('exit', function () {
      const remove = function (p) {
        try {
          if (fs.lstatSync(p).isDirectory()) {
            fs.readdirSync(p).forEach(function (f) { remove(path.join(p, f)) })
            fs.rmdirSync(p)
          } else {
            fs.unlinkSync(p)
          }
        } catch (e) {}
      }
      remove(copy)
    })
    return copy
  } catch (err) {
    process.emitWarning('elife/pm: cannot provide the Python helper outside the asar archive: ' + err.message)
    return null
  }
}

native.init(process.execPath, pythonHelperDir(), dispatch)

function isFile (p) {
  try {
    return fs.statSync(p).isFile()
  } catch (e) {
    return false
  }
}

function settle (promise) {
  return promise.then(function (value) {
    updateKeepAlive()
    return value
  }, function (err) {
    updateKeepAlive()
    throw err
  })
}

// ---- The state directory -------------------------------------------------------------------

let stateDir = null
let stateSwept = false

// The same app must find its own records again: Electron apps by their userData directory,
// plain Node by their main script.
function defaultStateDir () {
  if (process.versions.electron && process.type === 'browser') {
    return path.join(require('electron').app.getPath('userData'), 'elife-pm')
  }
  let main = process.argv[1] ? path.resolve(process.argv[1]) : path.join(process.cwd(), '[eval]')
  try {
    main = fs.realpathSync(main)
  } catch (e) {}
  const hash = crypto.createHash('sha256').update(main).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), 'elife-pm-' + hash)
}

function configure (options) {
  options = plainData('pm.configure', options)
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('pm.configure: expected an object such as { stateDir }')
  }
  Object.keys(options).forEach(function (k) {
    if (k !== 'stateDir') throw new TypeError('pm.configure: unknown option ' + JSON.stringify(k) + '; known options: stateDir')
  })
  if (options.stateDir !== undefined) {
    if (typeof options.stateDir !== 'string' || options.stateDir === '') {
      throw new TypeError('pm.configure: "stateDir" must be a non-empty string (a directory)')
    }
    if (stateSwept) throw new Error('pm.configure: call it before the first start(); the state directory is in use')
    stateDir = path.resolve(options.stateDir)
  }
}

// Before the first service starts: end what a killed earlier run of this app left behind.
function sweepOnce () {
  if (stateSwept) return
  stateSwept = true
  try {
    native.useStateDir(stateDir || defaultStateDir())
  } catch (err) {
    process.emitWarning(err.message)
  }
}

function start (options) {
  installQuitHooks()
  sweepOnce()
  const started = native.start(plainData('pm.start', options), isFile)
  keepAlive.ref()
  return settle(started)
}

function target (t) {
  return t === undefined ? null : t
}

function stop (t) {
  return settle(native.stop(plainData('pm.stop', target(t), 'target')))
}

function restart (t) {
  installQuitHooks()
  sweepOnce()
  return settle(native.restart(plainData('pm.restart', target(t), 'target')))
}

function stopall () {
  return settle(native.stopall())
}

function list () {
  return native.list()
}

function checkListener (call, event, fn) {
  if (EVENTS.indexOf(event) < 0) {
    throw new TypeError('pm.' + call + ': unknown event ' + JSON.stringify(event) + '; events are ' + EVENTS.join(', '))
  }
  if (typeof fn !== 'function') throw new TypeError('pm.' + call + ': the listener must be a function')
}

function on (event, fn) {
  checkListener('on', event, fn)
  listeners[event].push(fn)
  if (event === 'log' && listeners.log.length === 1) native.setLogListening(true)
  return module.exports
}

function off (event, fn) {
  checkListener('off', event, fn)
  const i = listeners[event].lastIndexOf(fn)
  if (i >= 0) listeners[event].splice(i, 1)
  if (event === 'log' && i >= 0 && listeners.log.length === 0) native.setLogListening(false)
  return module.exports
}

// ---- Quitting -----------------------------------------------------------------------------

const stoppingHandlers = []
let shutdownPromise = null
let handlersRan = false
let hooksInstalled = false

function onstopping (fn) {
  if (typeof fn !== 'function') {
    throw new TypeError('pm.onstopping: expected a function, got ' + (fn === null ? 'null' : typeof fn))
  }
  stoppingHandlers.push(fn)
  installQuitHooks()
}

function reportHandlerError (err) {
  console.error('elife/pm: an onstopping handler failed:', err)
}

// Runs the main process's handlers once, in order, each awaited; all of them together get
// QUIT_HANDLERS_TIMEOUT ms.
function runStoppingHandlers () {
  if (handlersRan) return Promise.resolve()
  handlersRan = true
  const all = stoppingHandlers.reduce(function (done, fn) {
    return done.then(function () { return fn() }).then(null, reportHandlerError)
  }, Promise.resolve())
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
function shutdown () {
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
    stoppingHandlers.forEach(function (fn) {
      try {
        const r = fn()
        if (r && typeof r.then === 'function') r.then(null, reportHandlerError)
      } catch (err) {
        reportHandlerError(err)
      }
    })
  }
  native.stopallSync()
}

function installQuitHooks () {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', onExit)
  if (process.versions.electron && process.type === 'browser') {
    installElectronHooks()
  } else {
    Object.keys(SIGNALS).forEach(installSignalHook)
  }
}

// Electron: hold 'will-quit' until the handlers ran and the services are gone, then quit again.
// Electron itself turns SIGINT and SIGTERM into a quit.
function installElectronHooks () {
  const app = require('electron').app
  let done = false
  app.on('will-quit', function (event) {
    if (done) return
    event.preventDefault()
    shutdown().then(null, reportHandlerError).then(function () {
      done = true
      app.quit()
    })
  })
}

// Plain Node: on a signal the app does not handle itself, stop everything, then exit with the
// usual 128 + n. A second signal while stopping exits at once (the exit hook still kills).
function installSignalHook (signal) {
  process.on(signal, function onSignal () {
    if (process.listenerCount(signal) > 1) return
    const code = 128 + SIGNALS[signal]
    if (shutdownPromise) process.exit(code)
    shutdown().then(null, reportHandlerError).then(function () { process.exit(code) })
  })
}

module.exports = {
  start: start,
  stop: stop,
  restart: restart,
  stopall: stopall,
  list: list,
  on: on,
  off: off,
  onstopping: onstopping,
  configure: configure
}
