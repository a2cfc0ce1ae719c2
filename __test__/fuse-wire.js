'use strict'
// Test fixtures for Electron's RunAsNode fuse (src/start/electron_fuse.rs): a copy of an executable
// (say, `node`) with a fuse wire appended, laid out as @electron/fuses documents it: the ASCII
// sentinel, one byte of wire version, one byte of wire length, then one byte per fuse ('1'
// enabled, '0' disabled, 'r' removed; fuse 0 is RunAsNode). The copy still runs: an ELF
// executable ignores bytes after its last segment.
//
//   const { copyWithFuseWire } = require('./fuse-wire')
//   copyWithFuseWire(process.execPath, path.join(dir, 'electron'), '0')  // RunAsNode off

const fs = require('node:fs')

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const WIRE_VERSION = 1

/**
 * The bytes of a fuse wire. `fuses` is one character per fuse, from fuse 0 (RunAsNode):
 * '0', '1' or 'r' ('' is a wire without fuses). With `truncated`, the wire stops right after
 * the length byte (a file that ends there has no fuse to read).
 */
function fuseWire (fuses, { truncated = false } = {}) {
  if (typeof fuses !== 'string' || !/^[01r]*$/.test(fuses)) {
    throw new Error(`fuses must be a string of '0', '1' and 'r', got ${JSON.stringify(fuses)}`)
  }
  const header = Buffer.concat([Buffer.from(SENTINEL, 'latin1'), Buffer.from([WIRE_VERSION, fuses.length])])
  return truncated ? header : Buffer.concat([header, Buffer.from(fuses, 'latin1')])
}

/**
 * Copies the executable `src` to `dest` (mode 0755) with `fuseWire(fuses, options)` appended.
 * Returns `dest`.
 */
function copyWithFuseWire (src, dest, fuses, options) {
  const wire = fuseWire(fuses, options)
  fs.copyFileSync(src, dest)
  fs.appendFileSync(dest, wire)
  fs.chmodSync(dest, 0o755)
  return dest
}

module.exports = { SENTINEL, fuseWire, copyWithFuseWire }
