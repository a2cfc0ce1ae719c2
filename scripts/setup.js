#!/usr/bin/env node
'use strict'
// What `npm test`, `npm run demo`, `npm run example` and `npm run pack` need, done on first use
// and checked cheaply after, so that each works first thing on a fresh clone:
//
//   1. Node 20 or later (the tests use node:test; the demo's scripts need it too)
//   2. the Debian packages Electron needs to run headless (scripts/install-system-deps.sh),
//      with --tests also the programs the tests run as services (redis-server, postgresql):
//      installed when we are root; otherwise we stop with the command to run
//   3. npm packages: `npm ci` when node_modules is missing or does not match package-lock.json
//   4. the addon: `npm run build` when pm.<platform>.node is missing or older than the Rust
//      sources (needs cargo)
//   5. Electron 9.4.1 (scripts/electron-path.js: $ELECTRON_PATH, an npm `electron`, or the
//      official build fetched once into .cache/)
//
//   node scripts/setup.js [--no-build]       (scripts/test.sh builds the addon itself)
//   node scripts/setup.js --tests            (scripts/test.sh: the test programs too)
//   node scripts/setup.js --no-electron      (`npm run example`: plain Node needs neither the
//                                            system packages nor Electron)
//   require('./setup').setup({ build: true, electron: true, tests: false }) -> { electron }
//
// Uses Node's own modules only: it runs before node_modules exists. Throws (or exits 1) with
// what to do when something cannot be set up.

var childProcess = require('child_process')
var fs = require('fs')
var path = require('path')

var ROOT = path.join(__dirname, '..')
var ADDON = 'pm.linux-' + process.arch + '-gnu.node'
/** What the addon is built from: newer than the addon means a rebuild. */
var RUST_INPUTS = ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs']
var MIN_NODE = 20

function say (msg) {
  process.stdout.write('setup: ' + msg + '\n')
}

function stop (msg) {
  var err = new Error(msg)
  err.setup = true
  return err
}

function runInherit (cmd, args, what) {
  var r = childProcess.spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' })
  if (r.error) throw stop(what + ': ' + cmd + ' ' + args.join(' ') + ': ' + r.error.message)
  if (r.status !== 0) {
    throw stop(what + ' failed: ' + cmd + ' ' + args.join(' ') + ' exited with ' +
      (r.status === null ? 'signal ' + r.signal : r.status))
  }
}

// ---- 1. Node ---------------------------------------------------------------------------------

function checkNode () {
  var major = Number(process.versions.node.split('.')[0])
  if (major < MIN_NODE) {
    throw stop('npm test and npm run demo need Node ' + MIN_NODE + ' or later; this is Node ' +
      process.versions.node + ' (the package itself runs on Node 12.14 and later)')
  }
}

// ---- 2. system packages ----------------------------------------------------------------------

function systemPackages (tests) {
  if (process.platform !== 'linux') return 'not Linux: skipped'
  var script = path.join(ROOT, 'scripts', 'install-system-deps.sh')
  var args = tests ? ['--tests'] : []
  var needs = tests ? 'Electron and the tests need' : 'Electron needs'
  var r = childProcess.spawnSync('bash', [script].concat(args, ['--check']), { cwd: ROOT, encoding: 'utf8' })
  if (r.error) throw stop('bash ' + script + ' --check: ' + r.error.message)
  if (r.status === 0) return 'present'
  if (r.status !== 3) {
    // Not Debian or Ubuntu: we cannot tell; Electron will say what it lacks.
    process.stderr.write((r.stderr || '').trim() + '\n')
    return 'not checked (no dpkg/apt-get)'
  }
  var missing = r.stdout.trim().split('\n').join(', ').replace(/\|/g, ' or ')
  var isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot) {
    throw stop(needs + ' Debian packages that are missing (' + missing + '). Install them with:\n\n' +
      '  sudo bash ' + [script].concat(args).join(' ') + '\n\nthen run this again.')
  }
  say('installing the Debian packages ' + needs.replace(/ needs?$/, '') + ' need (' + missing + ')')
  runInherit('bash', [script].concat(args), 'installing system packages')
  return 'installed'
}

// ---- 3. npm packages -------------------------------------------------------------------------

function readJson (file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    return null
  }
}

/** Why node_modules does not match package-lock.json, or null when it does. */
function npmStale () {
  var lock = readJson(path.join(ROOT, 'package-lock.json'))
  if (!lock || !lock.packages) throw stop('package-lock.json is missing or unreadable')
  // npm's own record of what it installed (written by npm ci / npm install).
  var installed = readJson(path.join(ROOT, 'node_modules', '.package-lock.json'))
  if (!installed || !installed.packages) return 'node_modules is missing'
  var keys = Object.keys(lock.packages)
  for (var i = 0; i < keys.length; i++) {
    var key = keys[i]
    if (key === '') continue
    var want = lock.packages[key]
    var have = installed.packages[key]
    // Optional packages for other platforms are never installed.
    if (!have && want.optional) continue
    if (!have || !fs.existsSync(path.join(ROOT, key))) return key + ' is not installed'
    if (have.version !== want.version) {
      return key + ' is ' + have.version + ', package-lock.json wants ' + want.version
    }
  }
  return null
}

function npmPackages () {
  var why = npmStale()
  if (!why) return 'up to date'
  say(why + ': npm ci')
  runInherit('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci')
  return 'installed'
}

// ---- 4. the addon ----------------------------------------------------------------------------

function newestMtime (p) {
  var st
  try {
    st = fs.statSync(p)
  } catch (e) {
    return 0
  }
  if (!st.isDirectory()) return st.mtimeMs
  return fs.readdirSync(p).reduce(function (newest, name) {
    return Math.max(newest, newestMtime(path.join(p, name)))
  }, st.mtimeMs)
}

function addon () {
  var file = path.join(ROOT, ADDON)
  var built = 0
  try { built = fs.statSync(file).mtimeMs } catch (e) {}
  var sources = RUST_INPUTS.reduce(function (newest, p) {
    return Math.max(newest, newestMtime(path.join(ROOT, p)))
  }, 0)
  if (built && built >= sources) return 'up to date'
  var cargo = childProcess.spawnSync('cargo', ['--version'], { stdio: 'ignore' })
  if (cargo.error || cargo.status !== 0) {
    throw stop('the addon is built from Rust and cargo is not on PATH. Install Rust with:\n\n' +
      "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --component clippy,rustfmt\n" +
      '  . "$HOME/.cargo/env"\n\nthen run this again.')
  }
  say((built ? ADDON + ' is older than the Rust sources' : ADDON + ' is missing') + ': npm run build (a first build takes a few minutes)')
  runInherit('npm', ['run', '--silent', 'build'], 'npm run build')
  if (!fs.existsSync(file)) throw stop('npm run build succeeded but made no ' + ADDON)
  return 'built'
}

// ---- 5. Electron -----------------------------------------------------------------------------

function electron () {
  try {
    return require('./electron-path').electronPath()
  } catch (e) {
    throw stop(e.message)
  }
}

function setup (options) {
  var build = !options || options.build !== false
  var withElectron = !options || options.electron !== false
  var t0 = Date.now()
  checkNode()
  var done = []
  if (withElectron) done.push('system packages ' + systemPackages(options && options.tests))
  done.push('npm packages ' + npmPackages())
  if (build) done.push('addon ' + addon())
  var bin = null
  if (withElectron) {
    bin = electron()
    done.push('Electron ' + bin)
  }
  say(done.join('; ') + ' (' + ((Date.now() - t0) / 1000).toFixed(1) + ' s)')
  return { electron: bin }
}

// npmPackages and addon are also run on their own by scripts/pack.js and `npm run example`.
module.exports = { setup: setup, ADDON: ADDON, checkNode: checkNode, npmPackages: npmPackages, addon: addon }

if (require.main === module) {
  var args = process.argv.slice(2)
  var unknown = args.filter(function (a) { return a !== '--no-build' && a !== '--no-electron' && a !== '--tests' })
  if (unknown.length) {
    process.stderr.write('setup: unknown argument ' + JSON.stringify(unknown[0]) + ' (usage: node scripts/setup.js [--no-build] [--no-electron] [--tests])\n')
    process.exit(1)
  }
  try {
    setup({ build: args.indexOf('--no-build') === -1, electron: args.indexOf('--no-electron') === -1, tests: args.indexOf('--tests') !== -1 })
  } catch (e) {
    process.stderr.write('setup: ' + (e && e.message ? e.message : e) + '\n')
    process.exit(1)
  }
}
