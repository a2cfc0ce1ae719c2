'use strict'
// The Windows addon imports only system DLLs: with napi's dyn-symbols feature it finds Node's
// functions in the host process at load time, so the same file loads in the official node.exe
// and electron.exe (both MSVC builds, neither exporting a libnode). Runs on Linux, reading the
// PE import table with MinGW's objdump. Fails (never skips) when the build or objdump is missing.
const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')

const ADDON = path.join(__dirname, '..', '..', 'pm.win32-x64-gnu.node')
// What a Windows 10+ system provides; api-ms-win-* are its API sets.
const SYSTEM = /^(kernel32|ntdll|advapi32|userenv|ws2_32|bcrypt|bcryptprimitives|msvcrt|ucrtbase|shell32|ole32|oleaut32|user32|secur32|crypt32|synchronization|api-ms-win-[a-z0-9-]+)\.dll$/i

function imports () {
  const out = execFileSync('x86_64-w64-mingw32-objdump', ['-p', ADDON], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const dlls = new Set()
  for (const m of out.matchAll(/^\s*DLL Name: (\S+)$/gm)) dlls.add(m[1])
  return { dlls: [...dlls].sort(), text: out }
}

test('the Windows addon exists and is a PE DLL for x86-64', () => {
  assert.ok(fs.existsSync(ADDON), `${ADDON} is missing: run npm run build:windows`)
  const head = fs.readFileSync(ADDON).subarray(0, 2).toString('latin1')
  assert.strictEqual(head, 'MZ')
  assert.match(imports().text, /file format pei-x86-64/)
})

test('it imports system DLLs only, nothing from node or electron', () => {
  const { dlls } = imports()
  assert.ok(dlls.some((d) => /^kernel32\.dll$/i.test(d)), `expected kernel32.dll among ${dlls}`)
  const foreign = dlls.filter((d) => !SYSTEM.test(d))
  assert.deepStrictEqual(foreign, [], `non-system imports: ${foreign.join(', ')}`)
  assert.ok(!dlls.some((d) => /node|electron/i.test(d)), `imports ${dlls}`)
})

test('no N-API function is imported (they are looked up at load time); the module entry is exported', () => {
  const { text } = imports()
  const start = text.indexOf('The Import Tables')
  const end = text.indexOf('The Export Tables')
  assert.ok(start >= 0 && end > start, 'objdump shows import and export tables')
  assert.doesNotMatch(text.slice(start, end), /\bnapi_[a-z_]+/, 'an import names a napi_ function')
  assert.match(text.slice(end), /\bnapi_register_module_v1\b/)
})
