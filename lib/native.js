'use strict'
// Loads the compiled supervisor for this platform: the `.node` file beside the package (a local
// build), else the per-platform npm package that ships it (`elife-<platform>`, an optional
// dependency of `elife`). Which one is lib/platforms.js's answer. Node 12 syntax only.

const path = require('path')
const { resolveBinding } = require('./platforms')

function isMusl () {
  try {
    // Node 12.14 needs --experimental-report for this; without it, the catch assumes glibc.
    return !process.report.getReport().header.glibcVersionRuntime
  } catch (e) {
    return false
  }
}

function load () {
  const where = resolveBinding(process.platform, process.arch, process.platform === 'linux' && isMusl())
  if (where instanceof Error) throw where
  const tried = []
  const candidates = [path.join(__dirname, '..', where.file), where.pkg]
  for (let i = 0; i < candidates.length; i++) {
    try {
      return require(candidates[i])
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND' && !/cannot open shared object/.test(e.message)) throw e
      tried.push(candidates[i])
    }
  }
  throw new Error('elife/pm: no native supervisor for ' + where.name + ' (tried ' + tried.join(', ') +
    '). Install the optional dependency ' + where.pkg + ' (npm skips it with --no-optional), or ' +
    'build it with `npm run build`.')
}

module.exports = load()
