'use strict'
// Where Node services on Electron's binary find run-as-node-preload.js, which pm gives them
// with `--require` (it takes ELECTRON_RUN_AS_NODE away from what a service starts). Electron's
// Node loads `--require` files before its asar support is up, so when this package is packed
// in an archive the preload comes from app.asar.unpacked (electron-builder unpacks a package
// that holds the .node addon), or else from a copy in a fresh private directory (mkdtemp, mode
// 0700), removed when the process exits. The copy is made when the first Node service starts,
// never at require. Node 12 syntax only.

const fs = require('fs')
const os = require('os')
const path = require('path')

const NAME = 'run-as-node-preload.js'

let resolved = false
let file = null

function copyOutOfArchive (packed) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-node-'))
  const copy = path.join(dir, NAME)
  process.on('exit', function () {
    try {
      fs.unlinkSync(copy)
      fs.rmdirSync(dir)
    } catch (e) {}
  })
  fs.writeFileSync(copy, fs.readFileSync(packed))
  return copy
}

function find () {
  const packed = path.join(__dirname, NAME)
  const inArchive = /^(.*?\.asar)([\\/].*)$/.exec(packed)
  if (!inArchive) return packed
  const unpacked = inArchive[1] + '.unpacked' + inArchive[2]
  if (fs.existsSync(unpacked)) return unpacked
  return copyOutOfArchive(packed)
}

/** The preload's path on the real file system, or null when it cannot be had (warned once). */
function preloadPath () {
  if (!resolved) {
    resolved = true
    try {
      file = find()
    } catch (err) {
      process.emitWarning('elife/pm: cannot provide ' + NAME + ' outside the asar archive (' + err.message +
        '): Node services start without it, and what they start inherits ELECTRON_RUN_AS_NODE')
    }
  }
  return file
}

module.exports = { preloadPath: preloadPath }
