'use strict'
// Verifies a flood log: every line must be `<peer's prefix><payload>` where the payload is one of
// the generator's lines (bench/lib/payload.js) with a correct checksum and, when the prefix names a
// service, the same service. Per service it finds lost, duplicated and out-of-order lines.
const fs = require('fs')
const { PAD, body, fnv1a, pad, PAYLOAD_RE } = require('./payload')

// What may precede the payload, per peer; group 1 (if any) is the service number the prefix names.
const PREFIXES = {
  raw: /^$/,
  pm2: /^flood([1-9]): $/,
  pm: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z flood([1-9])\[\d+\] out: $/
}

/** The files of one log, oldest first: rotated `x.N … x.1`, then `x`. */
function logFiles (file) {
  const rotated = []
  for (let i = 1; fs.existsSync(file + '.' + i); i++) rotated.push(file + '.' + i)
  const files = rotated.reverse()
  if (fs.existsSync(file)) files.push(file)
  return files
}

function check ({ file, prefix, services, lines }) {
  const prefixRe = PREFIXES[prefix]
  if (!prefixRe) throw new Error('unknown prefix kind ' + prefix)
  const files = logFiles(file)
  const seen = []
  const maxSeq = []
  for (let s = 1; s <= services; s++) { seen[s] = new Uint8Array(lines); maxSeq[s] = -1 }
  let total = 0; let torn = 0; let outOfOrder = 0; let dup = 0; let bytes = 0
  const tornSamples = []

  function line (text) {
    total++
    const m = PAYLOAD_RE.exec(text)
    let ok = false
    if (m) {
      const svc = Number(m[1])
      const seq = Number(m[2])
      const p = prefixRe.exec(text.slice(0, m.index))
      ok = p !== null && (p[1] === undefined || Number(p[1]) === svc) &&
        svc <= services && seq < lines && m[3] === pad(svc) && fnv1a(body(svc, seq)) === m[4]
      if (ok) {
        if (seen[svc][seq]) dup++
        else seen[svc][seq] = 1
        if (seq <= maxSeq[svc]) outOfOrder++
        else maxSeq[svc] = seq
      }
    }
    if (!ok) {
      torn++
      if (tornSamples.length < 3) tornSamples.push(text.length > 240 ? text.slice(0, 240) + '…' : text)
    }
  }

  const buf = Buffer.allocUnsafe(4 << 20)
  for (const f of files) {
    const fd = fs.openSync(f, 'r')
    let rest = ''
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null)
        if (n === 0) break
        bytes += n
        const parts = (rest + buf.latin1Slice(0, n)).split('\n')
        rest = parts.pop()
        for (const t of parts) line(t)
      }
    } finally {
      fs.closeSync(fd)
    }
    if (rest !== '') line(rest) // an unterminated last line
  }

  let lost = 0
  // Lines missing before a service's first line found: what a rotation's keep limit drops
  // (each service's oldest); the others are gaps.
  let lostOldest = 0
  for (let s = 1; s <= services; s++) {
    let missing = 0; let firstPresent = -1
    for (let q = 0; q < lines; q++) {
      if (!seen[s][q]) missing++
      else if (firstPresent < 0) firstPresent = q
    }
    lost += missing
    lostOldest += firstPresent < 0 ? lines : firstPresent
  }
  return {
    files: files.length,
    bytes,
    total,
    lost,
    lostOldest,
    lostGaps: lost - lostOldest,
    torn,
    outOfOrder,
    dup,
    tornSamples,
    pad: PAD
  }
}

module.exports = { check, logFiles }
