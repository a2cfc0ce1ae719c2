'use strict'
// Where Python services find pm's `elife_pm` helper package. Python cannot read inside an asar
// archive: when this package is packed in one, the helper comes from app.asar.unpacked, or
// else from a copy in a fresh private directory (made by mkdtemp, mode 0700: a predictable
// shared path could be planted by another user), removed when the process exits. The copy is
// made when the first Python service starts, never at require. Node 12 syntax only.

const fs = require('fs')
const os = require('os')
const path = require('path')

let resolved = false
let dir = null

function warn (message) {
  process.emitWarning('elife/pm: ' + message)
}

// Node 12 has no fs.rmSync: remove what was written (Python may have added __pycache__).
function remove (p) {
  try {
    if (fs.lstatSync(p).isDirectory()) {
      fs.readdirSync(p).forEach(function (f) { remove(path.join(p, f)) })
      fs.rmdirSync(p)
    } else {
      fs.unlinkSync(p)
    }
  } catch (e) {}
}

function copyOutOfArchive (packed) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-python-'))
  process.on('exit', function () { remove(copy) })
  const files = fs.readdirSync(path.join(packed, 'elife_pm')).filter(function (f) { return /\.py$/.test(f) })
  fs.mkdirSync(path.join(copy, 'elife_pm'))
  files.forEach(function (f) {
    fs.writeFileSync(path.join(copy, 'elife_pm', f), fs.readFileSync(path.join(packed, 'elife_pm', f)))
  })
  return copy
}

function find () {
  const packed = path.join(__dirname, '..', 'python')
  const inArchive = /^(.*?\.asar)([\\/].*)$/.exec(packed)
  if (!inArchive) return packed
  const unpacked = inArchive[1] + '.unpacked' + inArchive[2]
  if (fs.existsSync(path.join(unpacked, 'elife_pm', '__init__.py'))) return unpacked
  return copyOutOfArchive(packed)
}

/** The helper's directory (for PYTHONPATH), or null when it cannot be provided (warned once). */
function helperDir () {
  if (!resolved) {
    resolved = true
    try {
      dir = find()
    } catch (err) {
      warn('cannot provide the Python helper outside the asar archive: ' + err.message)
    }
  }
  return dir
}

module.exports = { helperDir: helperDir }
