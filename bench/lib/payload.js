'use strict'
// The flood's line format, shared by the generator and the checker.
//   S<svc> <seq, 10 digits> <PAD × the service's letter> <fnv1a-32, 8 hex>
// 100 bytes with the newline.

const PAD = 76
const LINE_BYTES = 2 + 1 + 10 + 1 + PAD + 1 + 8 + 1
const pads = {}

function pad (svc) {
  if (!pads[svc]) pads[svc] = String.fromCharCode(96 + svc).repeat(PAD)
  return pads[svc]
}

function fnv1a (str) {
  let h = 0x811c9dc5
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

/** The checksummed part: everything before the checksum. */
function body (svc, seq) {
  return 'S' + svc + ' ' + String(seq).padStart(10, '0') + ' ' + pad(svc)
}

function payloadLine (svc, seq) {
  const b = body(svc, seq)
  return b + ' ' + fnv1a(b) + '\n'
}

// A payload at the end of a line (whatever precedes it is the peer's prefix).
const PAYLOAD_RE = new RegExp('S([1-9]) (\\d{10}) ([a-z]{' + PAD + '}) ([0-9a-f]{8})$')

module.exports = { PAD, LINE_BYTES, pad, fnv1a, body, payloadLine, PAYLOAD_RE }
