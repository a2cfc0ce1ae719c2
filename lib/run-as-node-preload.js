'use strict'
// Loaded by every Node service that pm starts on Electron's binary, before the service's own
// code: pm puts `--require <this file>` before the script (src/start/launch.rs). Electron's
// binary runs as Node only while ELECTRON_RUN_AS_NODE=1 is set, but a service must not hand
// the variable on: a shell, `npm`, `code` or another Electron app started from the service
// would run as plain Node (or fail). So the variable goes away here, and comes back only for
// the children that are Electron's binary again, as a plain Node program's children are Node:
// `fork()`, `spawn`/`execFile` of `process.execPath` (and a shell command that starts with it),
// with their `*Sync` forms.
//
// How: every asynchronous spawn (spawn, fork, execFile, exec) ends in
// `ChildProcess.prototype.spawn(options)` with the program in `options.file` and the
// environment as `options.envPairs`, so one patch there covers them. The synchronous ones call
// Node's internal spawnSync directly, so the three exported functions are wrapped. Children
// that are not Electron's binary lose this preload from their arguments (`fork()` with another
// `execPath` passes `process.execArgv` on), as a plain Node could not read it from an archive.
//
// It does not touch process.argv, require.main or __filename. Node 12 syntax only (Electron 9),
// and little work: child_process is already loaded (the IPC channel needs it).

var NAME = 'ELECTRON_RUN_AS_NODE'
delete process.env[NAME]

var childProcess = require('child_process')
var path = require('path')

var WIN = process.platform === 'win32'
var SELF = __filename

function same (a, b) {
  return WIN ? a.toLowerCase() === b.toLowerCase() : a === b
}

function isExecPath (file) {
  return typeof file === 'string' && file !== '' &&
    (same(file, process.execPath) || same(path.resolve(file), process.execPath))
}

// A shell command line whose program is Electron's binary: `"<execPath>" child.js`.
function commandStartsNode (command) {
  if (typeof command !== 'string') return false
  var c = command.replace(/^\s+/, '')
  var quote = c.charAt(0)
  if (quote === '"' || quote === "'") {
    var end = c.indexOf(quote, 1)
    return end > 0 && isExecPath(c.slice(1, end))
  }
  var exe = process.execPath
  return same(c.slice(0, exe.length), exe) && /^(\s|$)/.test(c.slice(exe.length))
}

// The command of a shell invocation as Node builds it (`sh -c <command>`, `cmd /d /s /c "<command>"`).
function shellCommand (options) {
  var args = options.args
  if (!Array.isArray(args) || args.length < 3) return null
  var flag = args[args.length - 2]
  var command = args[args.length - 1]
  if (flag === '-c') return command
  if (WIN && (flag === '/c' || flag === '/C')) {
    return /^".*"$/.test(command) && options.windowsVerbatimArguments ? command.slice(1, -1) : command
  }
  return null
}

function isName (key) {
  return WIN ? key.toUpperCase() === NAME : key === NAME
}

function hasVar (env) {
  if (!WIN) return env[NAME] !== undefined
  for (var key in env) {
    if (isName(key) && env[key] !== undefined) return true
  }
  return false
}

function pairsWithVar (pairs) {
  if (pairs === undefined) {
    pairs = []
    for (var key in process.env) pairs.push(key + '=' + process.env[key])
  }
  if (!Array.isArray(pairs)) return pairs
  for (var i = 0; i < pairs.length; i++) {
    var at = String(pairs[i]).indexOf('=')
    if (at > 0 && isName(String(pairs[i]).slice(0, at))) return pairs
  }
  return pairs.concat([NAME + '=1'])
}

// The environment given, or the service's, with the variable on top (prototype values count,
// as in Node's own spawn).
function optionsWithVar (options) {
  var env = (options && options.env) || process.env
  if (hasVar(env)) return options
  var withVar = Object.create(env)
  withVar[NAME] = '1'
  return Object.assign({}, options, { env: withVar })
}

function withoutSelf (args) {
  if (!Array.isArray(args)) return args
  for (var i = 0; i + 1 < args.length; i++) {
    if (args[i] === '--require' && typeof args[i + 1] === 'string' && same(path.resolve(args[i + 1]), SELF)) {
      return args.slice(0, i).concat(args.slice(i + 2))
    }
  }
  return args
}

var ChildProcess = childProcess.ChildProcess
var spawn = ChildProcess.prototype.spawn
ChildProcess.prototype.spawn = function (options) {
  if (options !== null && typeof options === 'object') {
    if (isExecPath(options.file) || commandStartsNode(shellCommand(options))) {
      options.envPairs = pairsWithVar(options.envPairs)
    } else {
      options.args = withoutSelf(options.args)
    }
  }
  return spawn.apply(this, arguments)
}

// spawnSync(file, args?, options?) and execFileSync(file, args?, options?).
function wrapFileSync (name) {
  var original = childProcess[name]
  childProcess[name] = function (file, args, options) {
    if (args != null && typeof args !== 'object') return original.apply(this, arguments)
    if (!Array.isArray(args)) {
      if (args != null) options = args
      args = []
    }
    if (options != null && typeof options !== 'object') return original.apply(this, arguments)
    var node = options && options.shell ? commandStartsNode([file].concat(args).join(' ')) : isExecPath(file)
    return node ? original.call(this, file, args, optionsWithVar(options)) : original.apply(this, arguments)
  }
}
wrapFileSync('spawnSync')
wrapFileSync('execFileSync')

var execSync = childProcess.execSync
childProcess.execSync = function (command, options) {
  if ((options == null || typeof options === 'object') && commandStartsNode(command)) {
    return execSync.call(this, command, optionsWithVar(options))
  }
  return execSync.apply(this, arguments)
}
