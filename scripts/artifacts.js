#!/usr/bin/env node
'use strict'
// `npm run artifacts`: builds the addon for every platform the package ships, on this one Linux
// x64 machine, into the per-platform npm packages (npm/<platform>/pm.<platform>.node).
//
//   node scripts/artifacts.js [--profile release|release-ci] [--out DIR] [--only p1,p2]
//
// It installs what it needs: the rustup targets; zig and cargo-zigbuild (pinned, from PyPI, in a
// venv under .cache/); MinGW from Debian (as root) for Windows. Every target is attempted; the
// command fails at the end, naming each target that did not build and why.
//
// How each target is linked, and why:
// - Linux x64 and arm64 (gnu): cargo-zigbuild with a glibc suffix (`.2.17`). One toolchain for
//   both, the same one macOS needs, and zig links against glibc 2.17's symbol versions, so the
//   file loads on any distribution of the last decade; Debian's gcc-aarch64-linux-gnu (or the
//   host's own linker) would tie it to this machine's glibc 2.36.
// - macOS x64 and arm64: cargo-zigbuild (zig carries the macOS linker stubs; no SDK needed),
//   with MACOSX_DEPLOYMENT_TARGET 10.13 / 11.0 (otherwise the dylib claims the newest macOS).
// - Windows x64: x86_64-pc-windows-gnu with Debian's MinGW. napi-build on windows-gnu demands a
//   libnode.dll (LIBNODE_PATH); with napi's dyn-symbols nothing is imported from it, so an
//   empty one and an empty import archive satisfy the linker.
// Node 12 syntax, although nothing here runs in Electron.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

const ROOT = path.join(__dirname, '..')
const CACHE = path.join(ROOT, '.cache')
const VENV = path.join(CACHE, 'zig-venv')
const LIBNODE_STUB = path.join(CACHE, 'libnode-stub')
const LOGS = path.join(CACHE, 'artifacts-logs')
const PINS = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1']
const BINARY = 'pm'

// The platforms the package ships, in the order napi's `targets` lists them.
const TARGETS = [
  { platform: 'linux-x64-gnu', triple: 'x86_64-unknown-linux-gnu', via: 'zig', zigSuffix: '.2.17', lib: 'libelife_pm.so' },
  { platform: 'linux-arm64-gnu', triple: 'aarch64-unknown-linux-gnu', via: 'zig', zigSuffix: '.2.17', lib: 'libelife_pm.so' },
  { platform: 'win32-x64-gnu', triple: 'x86_64-pc-windows-gnu', via: 'mingw', lib: 'elife_pm.dll' },
  { platform: 'darwin-x64', triple: 'x86_64-apple-darwin', via: 'zig', macos: '10.13', lib: 'libelife_pm.dylib' },
  { platform: 'darwin-arm64', triple: 'aarch64-apple-darwin', via: 'zig', macos: '11.0', lib: 'libelife_pm.dylib' }
]

function parseArgs (argv) {
  const opts = { profile: 'release', out: path.join(ROOT, 'npm'), only: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = function () {
      if (i + 1 >= argv.length) throw new Error(a + ' needs a value')
      return argv[++i]
    }
    if (a === '--profile') opts.profile = value()
    else if (a === '--out') opts.out = path.resolve(value())
    else if (a === '--only') opts.only = value().split(',')
    else throw new Error('unknown option ' + a + ' (known: --profile, --out, --only)')
  }
  if (opts.only) {
    const known = TARGETS.map(function (t) { return t.platform })
    opts.only.forEach(function (p) {
      if (known.indexOf(p) < 0) throw new Error('--only: unknown platform ' + p + ' (known: ' + known.join(', ') + ')')
    })
  }
  return opts
}

function run (cmd, args, options) {
  const r = spawnSync(cmd, args, Object.assign({ encoding: 'utf8' }, options))
  if (r.error) return { ok: false, out: cmd + ': ' + r.error.message }
  return { ok: r.status === 0, out: (r.stdout || '') + (r.stderr || '') }
}

function must (cmd, args, options) {
  const r = run(cmd, args, options)
  if (!r.ok) throw new Error(cmd + ' ' + args.join(' ') + ' failed:\n' + tail(r.out, 20))
  return r.out
}

function tail (text, n) {
  return text.trimEnd().split('\n').slice(-n).join('\n')
}

function onPath (name) {
  return run('sh', ['-c', 'command -v ' + name]).ok
}

// --- the tools --------------------------------------------------------------------------

function ensureRustTargets (targets) {
  const installed = must('rustup', ['target', 'list', '--installed']).split('\n')
  const missing = targets.map(function (t) { return t.triple }).filter(function (t) { return installed.indexOf(t) < 0 })
  if (missing.length) {
    log('rustup target add ' + missing.join(' '))
    must('rustup', ['target', 'add'].concat(missing))
  }
}

/** zig and cargo-zigbuild from PyPI in a venv; returns the directory to put first on PATH. */
function ensureZig () {
  const bin = path.join(VENV, 'bin')
  const stamp = path.join(VENV, 'pins.txt')
  const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : ''
  if (have !== PINS.join('\n')) {
    log('installing ' + PINS.join(' ') + ' into ' + path.relative(ROOT, VENV))
    fs.rmSync(VENV, { recursive: true, force: true })
    must('python3', ['-m', 'venv', VENV])
    must(path.join(bin, 'pip'), ['install', '--quiet', '--disable-pip-version-check'].concat(PINS))
    fs.writeFileSync(stamp, PINS.join('\n'))
  }
  // cargo-zigbuild looks for `zig` on PATH; the wheel keeps it inside the package.
  const zig = path.join(bin, 'zig')
  if (!fs.existsSync(zig)) {
    const lib = path.join(VENV, 'lib')
    const py = fs.readdirSync(lib).filter(function (d) { return d.indexOf('python3') === 0 })[0]
    fs.symlinkSync(path.join(lib, py, 'site-packages', 'ziglang', 'zig'), zig)
  }
  return bin
}

/** MinGW for windows-gnu (Debian, as root) and the empty libnode napi-build asks for. */
function ensureMingw () {
  if (!onPath('x86_64-w64-mingw32-gcc')) {
    if (process.getuid && process.getuid() !== 0) {
      throw new Error('x86_64-w64-mingw32-gcc is missing; install Debian\'s gcc-mingw-w64-x86-64 (needs root)')
    }
    log('apt-get install gcc-mingw-w64-x86-64')
    const env = Object.assign({}, process.env, { DEBIAN_FRONTEND: 'noninteractive' })
    if (!run('apt-get', ['install', '-y', '-q', 'gcc-mingw-w64-x86-64'], { env: env }).ok) {
      must('apt-get', ['update', '-q'], { env: env })
      must('apt-get', ['install', '-y', '-q', 'gcc-mingw-w64-x86-64'], { env: env })
    }
  }
  fs.mkdirSync(LIBNODE_STUB, { recursive: true })
  const dll = path.join(LIBNODE_STUB, 'libnode.dll')
  if (!fs.existsSync(dll)) fs.writeFileSync(dll, '')
  const archive = path.join(LIBNODE_STUB, 'libnode.a')
  if (!fs.existsSync(archive)) must('x86_64-w64-mingw32-ar', ['rcs', archive])
}

// --- one target -----------------------------------------------------------------------------

/** The cargo command line and environment that build `t`. */
function buildCommand (t, profile, zigBin) {
  const env = Object.assign({}, process.env)
  let args
  if (t.via === 'zig') {
    env.PATH = zigBin + path.delimiter + env.PATH
    if (t.macos) env.MACOSX_DEPLOYMENT_TARGET = t.macos
    args = ['zigbuild', '--profile', profile, '--target', t.triple + (t.zigSuffix || '')]
  } else {
    env.LIBNODE_PATH = LIBNODE_STUB
    env.CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER = 'x86_64-w64-mingw32-gcc'
    args = ['build', '--profile', profile, '--target', t.triple]
  }
  return { cmd: 'cargo', args: args, env: env }
}

function buildOne (t, opts, zigBin) {
  const c = buildCommand(t, opts.profile, zigBin)
  const logFile = path.join(LOGS, t.platform + '.log')
  const started = Date.now()
  const r = run(c.cmd, c.args, { cwd: ROOT, env: c.env, maxBuffer: 64 << 20 })
  fs.writeFileSync(logFile, c.cmd + ' ' + c.args.join(' ') + '\n' + r.out)
  const seconds = (Date.now() - started) / 1000
  if (!r.ok) {
    const errors = r.out.split('\n').filter(function (l) { return /^error/.test(l) })
    return {
      ok: false,
      seconds: seconds,
      why: (errors.length ? errors.length + ' error lines, first: ' + errors[0] : tail(r.out, 5)) +
        '\n    full log: ' + path.relative(ROOT, logFile)
    }
  }
  // --profile release builds into target/<triple>/release; other profiles into their own name.
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target')
  const built = path.join(targetDir, t.triple, opts.profile, t.lib)
  const dir = path.join(opts.out, t.platform)
  fs.mkdirSync(dir, { recursive: true })
  const dest = path.join(dir, BINARY + '.' + t.platform + '.node')
  fs.copyFileSync(built, dest)
  return { ok: true, seconds: seconds, file: dest }
}

function log (line) {
  process.stderr.write('artifacts: ' + line + '\n')
}

function main () {
  const opts = parseArgs(process.argv.slice(2))
  const targets = TARGETS.filter(function (t) { return !opts.only || opts.only.indexOf(t.platform) >= 0 })
  if (os.platform() !== 'linux' || os.arch() !== 'x64') {
    throw new Error('the release matrix is built on Linux x64 (this is ' + os.platform() + '-' + os.arch() + ')')
  }
  fs.mkdirSync(LOGS, { recursive: true })
  ensureRustTargets(targets)
  const zigBin = targets.some(function (t) { return t.via === 'zig' }) ? ensureZig() : null
  const results = []
  targets.forEach(function (t) {
    let r
    try {
      if (t.via === 'mingw') ensureMingw()
      log(t.platform + ': building (' + opts.profile + ')')
      r = buildOne(t, opts, zigBin)
    } catch (e) {
      r = { ok: false, seconds: 0, why: e.message }
    }
    log(t.platform + ': ' + (r.ok ? 'ok, ' + path.relative(ROOT, r.file) : 'FAILED') + ' (' + r.seconds.toFixed(0) + ' s)')
    results.push(Object.assign({ platform: t.platform }, r))
  })
  const failed = results.filter(function (r) { return !r.ok })
  if (failed.length) {
    process.stderr.write('\nartifacts: ' + failed.length + ' of ' + results.length + ' targets did not build:\n' +
      failed.map(function (r) { return '  ' + r.platform + ': ' + r.why }).join('\n') + '\n')
    process.exitCode = 1
  }
}

module.exports = { TARGETS: TARGETS, BINARY: BINARY, buildCommand: buildCommand }

if (require.main === module) {
  try {
    main()
  } catch (e) {
    process.stderr.write('artifacts: ' + e.message + '\n')
    process.exitCode = 1
  }
}
