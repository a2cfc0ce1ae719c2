'use strict'
// Loads the compiled supervisor for this platform: the `.node` file beside the package (a local
// build, or a package that ships it), else the per-platform npm package. Node 12 syntax only.

const path = require('path')

function platformTriple () {
  const p = process.platform
  const a = process.arch
  if (p === 'linux') {
    let musl = false
    try {
      musl = !process.report.getReport().header.glibcVersionRuntime
    } catch (e) {
      musl = false
    }
    return 'linux-' + a + (musl ? '-musl' : '-gnu')
  }
  if (p === 'win32') return 'win32-' + a + '-gnu' // the MinGW build (npm run build:windows)
  return p + '-' + a
}

function load () {
  const triple = platformTriple()
  const tried = []
  const candidates = [
    path.join(__dirname, '..', 'pm.' + triple + '.node'),
    'elife-' + triple
  ]
  for (let i = 0; i < candidates.length; i++) {
    try {
      return require(candidates[i])
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND' && !/cannot open shared object/.test(e.message)) throw e
      tried.push(candidates[i])
    }
  }
  throw new Error('elife/pm: no native supervisor for ' + triple + ' (tried ' + tried.join(', ') +
    '). Build it with `npm run build`, or install the package for this platform.')
}

module.exports = load()
