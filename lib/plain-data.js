'use strict'
// Turns what an app passes to pm (start() options, stop()/restart() targets, configure()
// options) into plain JSON-able data before the native layer sees it. The native conversion
// reads inherited enumerable properties (prototype pollution would become options), recurses
// without bound (a cycle or deep nesting crashes the main process) and turns NaN or Infinity into
// null ("not given"). Here every value is checked once, iteratively bounded by MAX_DEPTH, and a
// bad one is a TypeError that names its path and what it is.
//
// What is read: own, enumerable, string-keyed data properties of plain objects (prototype
// Object.prototype, or null); arrays by index from 0 to length - 1 (a hole is an error; other
// properties of an array, like the `index` of a RegExp match, are ignored). Symbol keys are
// ignored. Everything else (class instances, Map, Date, Buffer, typed arrays, Proxy, getters,
// functions, symbols, bigints, undefined below the top level, NaN, Infinity) is an error.
// Objects are rebuilt with a null prototype, so an own `__proto__` key (JSON.parse makes those)
// stays an ordinary key, which the native layer reports as an unknown option.
// Node 12 syntax only (Electron 9 loads this file).

const util = require('util')
const pmError = require('./errors').pmError

/** Options are a few levels deep (options → env → value); anything deeper is a mistake. */
const MAX_DEPTH = 8

function isPlainObject (v) {
  const proto = Object.getPrototypeOf(v)
  if (proto === null || proto === Object.prototype) return true
  // An object from another realm (a vm context, another Electron world) has that realm's
  // Object.prototype: a prototype whose own prototype is null and whose constructor is Object.
  return Object.getPrototypeOf(proto) === null && Object.prototype.hasOwnProperty.call(proto, 'constructor') &&
    typeof proto.constructor === 'function' && proto.constructor.name === 'Object' &&
    Object.prototype.toString.call(v) === '[object Object]'
}

function isPlainArray (v) {
  if (!Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Array.prototype || (proto !== null && Object.getPrototypeOf(proto) !== null &&
    Object.getPrototypeOf(Object.getPrototypeOf(proto)) === null && proto.constructor && proto.constructor.name === 'Array')
}

/** What a value is, for error messages. */
function describe (v) {
  if (v === undefined) return 'undefined'
  if (v === null) return 'null'
  switch (typeof v) {
    case 'number': return String(v)
    case 'function': return 'a function'
    case 'symbol': return 'a symbol (' + String(v) + ')'
    case 'bigint': return 'a bigint (' + String(v) + 'n)'
    case 'string': return 'a string'
    case 'boolean': return 'a boolean'
  }
  if (util.types.isProxy(v)) return 'a Proxy'
  if (Buffer.isBuffer(v)) return 'a Buffer'
  if (Array.isArray(v)) return 'an array with another prototype'
  let name = null
  try {
    const proto = Object.getPrototypeOf(v)
    const ctor = proto && proto.constructor
    if (typeof ctor === 'function' && ctor.name) name = ctor.name
  } catch (e) {}
  return name ? 'a ' + name + ' object' : 'an object with a prototype other than Object.prototype'
}

function pathOf (parts) {
  let s = ''
  parts.forEach(function (p) {
    if (typeof p === 'number') s += '[' + p + ']'
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) s += (s ? '.' : '') + p
    else s += '[' + JSON.stringify(p) + ']'
  })
  return s
}

/**
 * Returns `value` as plain data, or throws a TypeError naming the path of the first bad value:
 * `pm.start: option "restartAt[2]" must be a finite number, got NaN`. `call` prefixes messages
 * (`'pm.start'`); `noun` names the top level's properties (`'option'`, `'target'`). Top-level
 * `undefined`, and `undefined` values of a top-level object, mean "not given" and are left out.
 */
function plainData (call, value, noun) {
  noun = noun || 'option'
  const fail = function (parts, what) {
    const where = parts.length ? noun + ' ' + JSON.stringify(pathOf(parts)) : (noun === 'option' ? 'options' : 'the ' + noun)
    throw pmError('ERR_PM_OPTION', call + ': ' + where + ' ' + what, TypeError)
  }
  const ancestors = []

  function convert (v, parts) {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v
      case 'number':
        if (!isFinite(v)) fail(parts, 'must be a finite number, got ' + describe(v))
        return v
      case 'undefined':
      case 'function':
      case 'symbol':
      case 'bigint':
        return fail(parts, 'must be plain data (a string, number, boolean, array or object), got ' + describe(v))
    }
    if (v === null) return null
    const seen = ancestors.indexOf(v)
    if (seen >= 0) {
      const self = seen === 0 ? (noun === 'option' ? 'options' : 'the ' + noun) : noun + ' ' + JSON.stringify(pathOf(parts.slice(0, seen)))
      throw pmError('ERR_PM_OPTION', call + ': ' + self + (seen === 0 && noun === 'option' ? ' contain themselves' : ' contains itself') +
        ' (a cycle at ' + pathOf(parts) + ')', TypeError)
    }
    if (ancestors.length >= MAX_DEPTH) {
      fail(parts, 'nests deeper than ' + MAX_DEPTH + ' levels; options are plain data a few levels deep')
    }
    if (util.types.isProxy(v)) fail(parts, 'must be plain data, got a Proxy')
    ancestors.push(v)
    let out
    if (isPlainArray(v)) {
      out = []
      for (let i = 0; i < v.length; i++) {
        const d = Object.getOwnPropertyDescriptor(v, i)
        if (!d) fail(parts.concat(i), 'is a hole in the array (an empty slot); arrays must be dense')
        if (!('value' in d)) fail(parts.concat(i), 'is a getter; pass plain data')
        out.push(convert(d.value, parts.concat(i)))
      }
    } else if (isPlainObject(v)) {
      out = Object.create(null)
      const keys = Object.keys(v)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]
        const d = Object.getOwnPropertyDescriptor(v, k)
        if (!d) continue
        if (k.indexOf('\0') >= 0) fail(parts.concat(k), 'has a NUL character in its name')
        if (!('value' in d)) fail(parts.concat(k), 'is a getter; pass plain data')
        if (d.value === undefined && ancestors.length === 1) continue
        // defineProperty, not assignment: a key named __proto__ stays a key.
        Object.defineProperty(out, k, { value: convert(d.value, parts.concat(k)), enumerable: true, writable: true, configurable: true })
      }
    } else {
      fail(parts, 'must be plain data (only plain objects and arrays are read), got ' + describe(v))
    }
    ancestors.pop()
    return out
  }

  if (value === undefined) return undefined
  return convert(value, [])
}

module.exports = plainData
module.exports.MAX_DEPTH = MAX_DEPTH
