'use strict'
// The JS contract, checked against the Rust side: index.d.ts (option names, the events and
// their fields, list()'s fields, error codes, the API's functions), lib/constants.js and the
// Python helper's constants must say what the addon's `contract()` says (src/contract.rs,
// src/binding/contract.rs). CONTRACT_DTS=<file> checks another typings file (to see it fail).

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const ts = require('typescript')

const ROOT = path.join(__dirname, '..')
const native = require('../lib/native')
const constants = require('../lib/constants')
const contract = native.contract()
const DTS = process.env.CONTRACT_DTS || path.join(ROOT, 'index.d.ts')

/** The typings as a map of interface name → { members, extends }, and type aliases. */
function readTypings (file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const interfaces = {}
  const aliases = {}
  const functions = new Set()
  source.statements.forEach((s) => {
    if (ts.isInterfaceDeclaration(s)) {
      interfaces[s.name.text] = {
        members: s.members.filter((m) => m.name).map((m) => m.name.text),
        extends: (s.heritageClauses || []).flatMap((h) => h.types.map((t) => t.expression.getText(source)))
      }
    } else if (ts.isTypeAliasDeclaration(s)) {
      aliases[s.name.text] = s.type
    } else if (ts.isFunctionDeclaration(s) && s.name) {
      functions.add(s.name.text)
    }
  })
  const membersOf = (name) => {
    const i = interfaces[name]
    assert.ok(i, `${path.basename(file)} has no interface ${name}`)
    return i.extends.flatMap(membersOf).concat(i.members)
  }
  const literals = (name) => {
    const t = aliases[name]
    assert.ok(t, `${path.basename(file)} has no type ${name}`)
    return (ts.isUnionTypeNode(t) ? t.types : [t]).map((u) => u.literal.text)
  }
  const eventTypes = {}
  const events = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === 'Events')
  assert.ok(events, 'index.d.ts has no Events interface')
  events.members.forEach((m) => { eventTypes[m.name.text] = m.type.getText(source) })
  return { membersOf, literals, eventTypes, functions }
}

const sorted = (a) => Array.from(new Set(a)).sort()
const typings = readTypings(DTS)

test('index.d.ts documents exactly the options start() accepts', () => {
  assert.deepStrictEqual(sorted(typings.membersOf('StartOptions')), sorted(contract.options))
})

test('index.d.ts has exactly the events pm emits, each with the fields it carries', () => {
  assert.deepStrictEqual(sorted(Object.keys(typings.eventTypes)), sorted(Object.keys(contract.events)))
  for (const [name, fields] of Object.entries(contract.events)) {
    assert.deepStrictEqual(sorted(typings.membersOf(typings.eventTypes[name])), sorted(fields), `the fields of '${name}'`)
  }
  assert.deepStrictEqual(sorted(constants.EVENTS), sorted(Object.keys(contract.events)), 'lib/constants.js EVENTS')
})

test('index.d.ts has exactly the fields of list() entries', () => {
  assert.deepStrictEqual(sorted(typings.membersOf('ProcessInfo')), sorted(contract.info))
})

test('index.d.ts lists exactly the error codes pm uses', () => {
  assert.deepStrictEqual(sorted(typings.literals('PmErrorCode')), sorted(contract.errors))
})

test('the API: the addon, lib/constants.js, index.d.ts and require("elife/pm") agree', () => {
  assert.deepStrictEqual(sorted(constants.API), sorted(contract.api))
  assert.deepStrictEqual(sorted(Object.keys(require('..')).filter((k) => k !== 'default')), sorted(contract.api))
  for (const name of contract.api) assert.ok(typings.functions.has(name), `index.d.ts declares ${name}()`)
})

test('constants shared across languages are the same in Rust, JS and Python', () => {
  const c = contract.constants
  assert.strictEqual(constants.CONTROL_CMD, c.CONTROL_CMD)
  assert.strictEqual(constants.PARENT_ENV, c.PARENT_ENV)
  assert.strictEqual(constants.NOT_MAIN_THREAD, c.NOT_MAIN_THREAD)
  const py = fs.readFileSync(path.join(ROOT, 'python', 'elife_pm', '__init__.py'), 'utf8')
  const pyConst = (name) => {
    const m = new RegExp('^' + name + ' = "([^"]*)"$', 'm').exec(py)
    assert.ok(m, `the Python helper defines ${name}`)
    return m[1]
  }
  assert.strictEqual(pyConst('_CMD'), c.CONTROL_CMD)
  assert.strictEqual(pyConst('_PARENT_ENV'), c.PARENT_ENV)
})
