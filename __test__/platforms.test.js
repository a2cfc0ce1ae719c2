'use strict'
// Which native package the loader picks on each host, without loading anything
// (lib/platforms.js is the pure half of lib/native.js).

const test = require('node:test')
const assert = require('node:assert')

const { resolveBinding, SUPPORTED } = require('../lib/platforms')

test('each supported host maps to its file and per-platform package', () => {
  const cases = [
    ['linux', 'x64', false, 'linux-x64-gnu'],
    ['linux', 'arm64', false, 'linux-arm64-gnu'],
    ['win32', 'x64', false, 'win32-x64-gnu'],
    ['darwin', 'x64', false, 'darwin-x64'],
    ['darwin', 'arm64', false, 'darwin-arm64']
  ]
  for (const [platform, arch, musl, name] of cases) {
    assert.deepStrictEqual(resolveBinding(platform, arch, musl), {
      name,
      file: 'pm.' + name + '.node',
      pkg: 'elife-' + name
    })
  }
  assert.strictEqual(cases.length, SUPPORTED.length)
})

test('a host with no package gets an error naming it and the supported list', () => {
  const cases = [
    ['linux', 'x64', true, /linux x64 \(musl\) \(linux-x64-musl\)/],
    ['win32', 'arm64', false, /win32 arm64 \(win32-arm64-gnu\)/],
    ['win32', 'ia32', false, /win32 ia32/],
    ['linux', 'arm', false, /linux arm \(glibc\)/],
    ['freebsd', 'x64', false, /freebsd x64 \(freebsd-x64\)/]
  ]
  for (const [platform, arch, musl, names] of cases) {
    const e = resolveBinding(platform, arch, musl)
    assert.ok(e instanceof Error, platform + ' ' + arch)
    assert.match(e.message, names)
    assert.match(e.message, /built for linux-x64-gnu, linux-arm64-gnu, win32-x64-gnu, darwin-x64, darwin-arm64\./)
  }
})
