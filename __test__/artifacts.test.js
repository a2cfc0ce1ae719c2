'use strict'
// The release matrix: `scripts/artifacts.js` builds the addon for all five platforms on this
// Linux x64 machine, and each file is read back (scripts/artifacts-inspect.js parses the bytes)
// for its format, CPU, the N-API entry point, and what it would need at load time. A target
// that did not build fails its test. The build uses the `release-ci` profile (release without
// fat LTO) into target/artifacts-test, so the published files (`npm run artifacts`, `release`,
// into npm/) are not overwritten; the code and link steps are the same. The release workflow
// sets ARTIFACTS_PROFILE=release, so the files it publishes are the ones checked here.
// Runs on the build host only (Linux x64); CI runs it on ubuntu.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const { inspect } = require('../scripts/artifacts-inspect')
const { TARGETS, BINARY } = require('../scripts/artifacts')
const { SUPPORTED } = require('../lib/platforms')

const ROOT = path.join(__dirname, '..')
const OUT = path.join(ROOT, 'target', 'artifacts-test')
const PROFILE = process.env.ARTIFACTS_PROFILE || 'release-ci'
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))

// What each platform's file must be, written out here rather than taken from the script.
const EXPECTED = {
  'linux-x64-gnu': { format: 'elf', arch: 'x64' },
  'linux-arm64-gnu': { format: 'elf', arch: 'arm64' },
  'win32-x64-gnu': { format: 'pe', arch: 'x64' },
  'darwin-x64': { format: 'macho', arch: 'x64', minos: '10.13' },
  'darwin-arm64': { format: 'macho', arch: 'arm64', minos: '11.0' }
}
const GLIBC_FLOOR = [2, 17]

let build = null
function built () {
  if (!build) {
    fs.rmSync(OUT, { recursive: true, force: true })
    const started = Date.now()
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'artifacts.js'), '--profile', PROFILE, '--out', OUT], {
      cwd: ROOT,
      encoding: 'utf8'
    })
    build = { status: r.status, log: (r.stderr || '') + (r.stdout || ''), seconds: (Date.now() - started) / 1000 }
    process.stderr.write('# artifacts: exit ' + r.status + ' after ' + build.seconds.toFixed(0) + ' s\n')
  }
  return build
}

function read (platform) {
  const b = built()
  const file = path.join(OUT, platform, BINARY + '.' + platform + '.node')
  assert.ok(fs.existsSync(file), platform + ' was not built (artifacts exit ' + b.status + '):\n' + b.log)
  return inspect(fs.readFileSync(file))
}

function versionOf (name) {
  const m = /^GLIBC_(\d+)\.(\d+)/.exec(name)
  return m ? [Number(m[1]), Number(m[2])] : null
}

test('every platform is listed the same way everywhere', () => {
  const platforms = Object.keys(EXPECTED)
  assert.deepStrictEqual(TARGETS.map((t) => t.platform), platforms, 'scripts/artifacts.js')
  assert.deepStrictEqual(SUPPORTED, platforms, 'lib/platforms.js')
  assert.deepStrictEqual(pkg.napi.targets, TARGETS.map((t) => t.triple), 'package.json napi.targets')
  for (const platform of platforms) {
    const sub = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', platform, 'package.json'), 'utf8'))
    const [os, cpu] = platform.split('-')
    assert.strictEqual(sub.name, pkg.name + '-' + platform)
    assert.strictEqual(sub.version, pkg.version, platform + ' version follows the root package')
    assert.strictEqual(sub.main, BINARY + '.' + platform + '.node')
    assert.deepStrictEqual(sub.files, [sub.main])
    assert.deepStrictEqual(sub.os, [os])
    assert.deepStrictEqual(sub.cpu, [cpu])
    // npm refuses a package with a `libc` field anywhere but Linux (npm-install-checks).
    assert.deepStrictEqual(sub.libc, os === 'linux' ? ['glibc'] : undefined, platform + ' libc')
    assert.ok(pkg.os.includes(os), 'root package.json os lists ' + os)
  }
})

for (const platform of Object.keys(EXPECTED)) {
  const want = EXPECTED[platform]
  test(platform + ': ' + want.format + ' ' + want.arch + ' shared library exporting napi_register_module_v1', () => {
    const got = read(platform)
    assert.strictEqual(got.format, want.format)
    assert.strictEqual(got.arch, want.arch)
    assert.strictEqual(got.kind, 'shared')
    // Mach-O symbol names carry a leading underscore.
    const entry = (want.format === 'macho' ? '_' : '') + 'napi_register_module_v1'
    assert.ok(got.exports.includes(entry), 'exports ' + entry + ' (has ' + got.exports.length + ' exports)')
    // With napi's dyn-symbols the addon finds Node's functions at load time: it must not be
    // linked against a node binary or library, or it would load only in that one.
    for (const lib of got.imports) {
      assert.ok(!/(^|[\\/])(lib)?node(\.exe|\.dll|\.so|\.dylib)?$/i.test(lib), platform + ' imports ' + lib)
    }
    if (want.format === 'elf') {
      // Loads on glibc 2.17 and later: every symbol it needs from the C library is versioned,
      // and no version is newer than the floor (an unversioned one, like gettid from a 2.30
      // header, would fail to resolve on an older glibc).
      const unversioned = got.strongUndefined.filter((s) => !s.version).map((s) => s.name)
      assert.deepStrictEqual(unversioned, [], 'symbols needed without a glibc version')
      const newer = got.strongUndefined.filter((s) => {
        const v = versionOf(s.version)
        return v && (v[0] > GLIBC_FLOOR[0] || (v[0] === GLIBC_FLOOR[0] && v[1] > GLIBC_FLOOR[1]))
      }).map((s) => s.name + '@' + s.version)
      assert.deepStrictEqual(newer, [], 'symbols newer than glibc ' + GLIBC_FLOOR.join('.'))
    }
    if (want.format === 'pe') {
      for (const dll of got.imports) assert.match(dll, /\.dll$/i)
      assert.ok(got.imports.some((d) => /^kernel32\.dll$/i.test(d)), 'imports ' + got.imports.join(', '))
    }
    if (want.format === 'macho') {
      assert.strictEqual(got.minos, want.minos, 'minimum macOS (MACOSX_DEPLOYMENT_TARGET)')
      for (const lib of got.imports) assert.match(lib, /^\/usr\/lib\//, 'only system libraries')
    }
  })
}
