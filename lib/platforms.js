'use strict'
// Which compiled supervisor a host needs: the platforms packages are built for, and the file and
// package name for a given host. Pure, so it is tested for every platform on any one (lib/native.js
// does the loading). Node 12 syntax only.

// Every platform a package is built for (package.json `napi.targets`; npm/<platform>/).
// Windows is the MinGW build (x86_64-pc-windows-gnu): it imports only system DLLs, so it loads
// in the MSVC-built node.exe and electron.exe alike.
const SUPPORTED = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'win32-x64-gnu',
  'darwin-x64',
  'darwin-arm64'
]

/**
 * The napi platform name for a host (`process.platform`, `process.arch`, and on Linux whether
 * its C library is musl), whether or not a package exists for it.
 */
function platformName (platform, arch, musl) {
  if (platform === 'linux') return 'linux-' + arch + (musl ? '-musl' : '-gnu')
  if (platform === 'win32') return 'win32-' + arch + '-gnu'
  return platform + '-' + arch
}

/**
 * Where the supervisor for a host is: `{ name, file, pkg }`, or an Error that names the host
 * and the platforms there are packages for. Pure: loads nothing.
 */
function resolveBinding (platform, arch, musl) {
  const name = platformName(platform, arch, musl)
  if (SUPPORTED.indexOf(name) < 0) {
    return new Error('elife/pm has no native supervisor for ' + platform + ' ' + arch +
      (platform === 'linux' ? (musl ? ' (musl)' : ' (glibc)') : '') + ' (' + name + '); it is built for ' +
      SUPPORTED.join(', ') + '.')
  }
  return { name: name, file: 'pm.' + name + '.node', pkg: 'elife-' + name }
}

module.exports = { SUPPORTED: SUPPORTED, platformName: platformName, resolveBinding: resolveBinding }
