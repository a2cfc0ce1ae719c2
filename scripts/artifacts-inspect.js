'use strict'
// Reads what a built `.node` file is, straight from its bytes, with no tool beyond Node: the
// format (ELF, PE, Mach-O), the CPU, the symbols it exports, what it imports (PE DLLs, ELF
// needed libraries and versioned glibc symbols) and, for Mach-O, the minimum macOS it claims.
// Used by __test__/artifacts.test.js; each reader follows the format's own spec (elf.h,
// winnt.h / the PE-COFF spec, mach-o/loader.h) and reads only the 64-bit little-endian files
// this package ships.

const ELF_MACHINES = { 62: 'x64', 183: 'arm64' }
const PE_MACHINES = { 0x8664: 'x64', 0xaa64: 'arm64' }
const MACHO_CPUS = { 0x01000007: 'x64', 0x0100000c: 'arm64' }

function inspect (buf) {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x7f454c46) return elf(buf)
  if (buf.length >= 2 && buf.toString('latin1', 0, 2) === 'MZ') return pe(buf)
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0xfeedfacf) return macho(buf)
  throw new Error('not an ELF, PE or 64-bit Mach-O file (starts with ' + buf.slice(0, 4).toString('hex') + ')')
}

function cstring (buf, at) {
  const end = buf.indexOf(0, at)
  return buf.toString('latin1', at, end < 0 ? buf.length : end)
}

// --- ELF ------------------------------------------------------------------------------------

function elf (buf) {
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('ELF: not 64-bit little-endian')
  const type = buf.readUInt16LE(16)
  const machine = buf.readUInt16LE(18)
  const shoff = Number(buf.readBigUInt64LE(40))
  const shentsize = buf.readUInt16LE(58)
  const shnum = buf.readUInt16LE(60)
  const sections = []
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize
    sections.push({
      type: buf.readUInt32LE(o + 4),
      offset: Number(buf.readBigUInt64LE(o + 24)),
      size: Number(buf.readBigUInt64LE(o + 32)),
      link: buf.readUInt32LE(o + 40),
      info: buf.readUInt32LE(o + 44)
    })
  }
  const byType = function (t) { return sections.filter(function (s) { return s.type === t })[0] }
  const dynsym = byType(11) // SHT_DYNSYM
  if (!dynsym) throw new Error('ELF: no dynamic symbol table')
  const dynstr = sections[dynsym.link]

  // Version requirements (SHT_GNU_verneed): index -> name, e.g. 3 -> GLIBC_2.17.
  const versionNames = {}
  const verneed = byType(0x6ffffffe)
  if (verneed) {
    const strtab = sections[verneed.link]
    let at = verneed.offset
    for (let n = 0; n < verneed.info; n++) {
      const cnt = buf.readUInt16LE(at + 2)
      let aux = at + buf.readUInt32LE(at + 8)
      for (let k = 0; k < cnt; k++) {
        versionNames[buf.readUInt16LE(aux + 6) & 0x7fff] = cstring(buf, strtab.offset + buf.readUInt32LE(aux + 8))
        aux += buf.readUInt32LE(aux + 12)
      }
      at += buf.readUInt32LE(at + 12)
    }
  }
  const versym = byType(0x6fffffff)

  const exports = []
  const strongUndefined = [] // { name, version } of every non-weak symbol the loader must resolve
  const count = dynsym.size / 24
  for (let i = 1; i < count; i++) {
    const o = dynsym.offset + i * 24
    const name = cstring(buf, dynstr.offset + buf.readUInt32LE(o))
    const bind = buf[o + 4] >> 4
    const shndx = buf.readUInt16LE(o + 6)
    if (!name) continue
    if (shndx !== 0) {
      if (bind === 1 || bind === 2) exports.push(name) // GLOBAL or WEAK
    } else if (bind !== 2) {
      const v = versym ? buf.readUInt16LE(versym.offset + i * 2) & 0x7fff : 1
      strongUndefined.push({ name: name, version: v >= 2 ? versionNames[v] : null })
    }
  }

  // DT_NEEDED entries from the dynamic section (SHT_DYNAMIC = 6).
  const needed = []
  const dynamic = byType(6)
  if (dynamic) {
    const str = sections[dynamic.link]
    for (let o = dynamic.offset; o < dynamic.offset + dynamic.size; o += 16) {
      const tag = Number(buf.readBigInt64LE(o))
      if (tag === 0) break
      if (tag === 1) needed.push(cstring(buf, str.offset + Number(buf.readBigUInt64LE(o + 8))))
    }
  }
  return {
    format: 'elf',
    kind: type === 3 ? 'shared' : 'type ' + type,
    arch: ELF_MACHINES[machine] || 'machine ' + machine,
    exports: exports,
    imports: needed,
    strongUndefined: strongUndefined
  }
}

// --- PE -------------------------------------------------------------------------------------

function pe (buf) {
  const peAt = buf.readUInt32LE(0x3c)
  if (buf.readUInt32LE(peAt) !== 0x00004550) throw new Error('PE: no PE signature')
  const coff = peAt + 4
  const machine = buf.readUInt16LE(coff)
  const nsections = buf.readUInt16LE(coff + 2)
  const optSize = buf.readUInt16LE(coff + 16)
  const characteristics = buf.readUInt16LE(coff + 18)
  const opt = coff + 20
  if (buf.readUInt16LE(opt) !== 0x20b) throw new Error('PE: not PE32+')
  const dataDir = function (i) {
    return { rva: buf.readUInt32LE(opt + 112 + i * 8), size: buf.readUInt32LE(opt + 112 + i * 8 + 4) }
  }
  const sections = []
  for (let i = 0; i < nsections; i++) {
    const s = opt + optSize + i * 40
    sections.push({
      va: buf.readUInt32LE(s + 12),
      vsize: buf.readUInt32LE(s + 8),
      raw: buf.readUInt32LE(s + 20),
      rawSize: buf.readUInt32LE(s + 16)
    })
  }
  const at = function (rva) {
    for (let i = 0; i < sections.length; i++) {
      const s = sections[i]
      if (rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize)) return s.raw + rva - s.va
    }
    throw new Error('PE: RVA 0x' + rva.toString(16) + ' is in no section')
  }

  const exports = []
  const exp = dataDir(0)
  if (exp.rva) {
    const e = at(exp.rva)
    const names = buf.readUInt32LE(e + 24)
    const table = at(buf.readUInt32LE(e + 32))
    for (let i = 0; i < names; i++) exports.push(cstring(buf, at(buf.readUInt32LE(table + i * 4))))
  }
  const imports = []
  const imp = dataDir(1)
  if (imp.rva) {
    for (let d = at(imp.rva); buf.readUInt32LE(d + 12) !== 0; d += 20) {
      imports.push(cstring(buf, at(buf.readUInt32LE(d + 12))))
    }
  }
  return {
    format: 'pe',
    kind: characteristics & 0x2000 ? 'shared' : 'executable', // IMAGE_FILE_DLL
    arch: PE_MACHINES[machine] || 'machine 0x' + machine.toString(16),
    exports: exports,
    imports: imports
  }
}

// --- Mach-O ---------------------------------------------------------------------------------

function uleb (buf, pos) {
  let value = 0
  let shift = 0
  for (;;) {
    const b = buf[pos.at++]
    value += (b & 0x7f) * Math.pow(2, shift)
    if (!(b & 0x80)) return value
    shift += 7
  }
}

/** Every name in a dyld exports trie (the table dyld's dlsym consults). */
function exportsTrie (buf, start, size) {
  const names = []
  const walk = function (node, prefix, depth) {
    if (depth > 256) throw new Error('Mach-O: exports trie too deep')
    const pos = { at: start + node }
    const terminal = uleb(buf, pos)
    if (terminal) names.push(prefix)
    pos.at += terminal
    const children = buf[pos.at++]
    for (let i = 0; i < children; i++) {
      const label = cstring(buf, pos.at)
      pos.at += Buffer.byteLength(label, 'latin1') + 1
      const child = uleb(buf, pos)
      if (child >= size) throw new Error('Mach-O: exports trie points outside itself')
      walk(child, prefix + label, depth + 1)
    }
  }
  if (size) walk(0, '', 0)
  return names
}

function version (v) {
  return (v >>> 16) + '.' + ((v >> 8) & 0xff) + (v & 0xff ? '.' + (v & 0xff) : '')
}

function macho (buf) {
  const cputype = buf.readUInt32LE(4)
  const filetype = buf.readUInt32LE(12)
  const ncmds = buf.readUInt32LE(16)
  let exports = []
  const imports = []
  let minos = null
  let at = 32
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at)
    const size = buf.readUInt32LE(at + 4)
    if (cmd === 0x80000022 || cmd === 0x22) { // LC_DYLD_INFO(_ONLY): export_off, export_size
      exports = exports.concat(exportsTrie(buf, buf.readUInt32LE(at + 40), buf.readUInt32LE(at + 44)))
    } else if (cmd === 0x80000033) { // LC_DYLD_EXPORTS_TRIE: dataoff, datasize
      exports = exports.concat(exportsTrie(buf, buf.readUInt32LE(at + 8), buf.readUInt32LE(at + 12)))
    } else if (cmd === 0xc || cmd === 0x80000018) { // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB
      imports.push(cstring(buf, at + buf.readUInt32LE(at + 8)))
    } else if (cmd === 0x32) { // LC_BUILD_VERSION: platform, minos
      if (buf.readUInt32LE(at + 8) === 1) minos = version(buf.readUInt32LE(at + 12))
    } else if (cmd === 0x24) { // LC_VERSION_MIN_MACOSX
      minos = version(buf.readUInt32LE(at + 8))
    }
    at += size
  }
  return {
    format: 'macho',
    kind: filetype === 6 ? 'shared' : 'filetype ' + filetype, // MH_DYLIB; a bundle would be 8
    arch: MACHO_CPUS[cputype] || 'cputype 0x' + cputype.toString(16),
    exports: exports,
    imports: imports,
    minos: minos
  }
}

module.exports = { inspect: inspect }
