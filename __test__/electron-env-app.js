'use strict'
// The app of fixtures/electron-env, shared by __test__/electron-env.test.js (Electron 9.4.1 and
// plain Node on Linux) and __test__/windows/electron-env.linux.js (the Windows Electron 9.4.1
// under Wine): how it is laid out and packed, how its record is read, and what its two services'
// reports must show. Not a suite itself.
//
//   app/main.js, package.json
//   app/services/  env.js (the CommonJS service, with args), child.js, probe.js, shell.js: packed
//   app/unpacked/  env.mjs (the ES module service, cwd here), the same helpers: unpacked
//   app/node_modules/elife/  the package as installed (package.json, index.js, pm.js, lib/, the
//                  addon); packed, but for the addon, so pm copies its preload out of the archive

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { ROOT } = require('./helpers')

const FIXTURE = path.join(__dirname, 'fixtures', 'electron-env')
const HELPERS = ['child.js', 'probe.js', 'shell.js']
const UNPACK = '{*.node,**/unpacked/*}'

function layOut (dest, addon) {
  const copy = (from, to) => fs.cpSync(path.join(FIXTURE, from), path.join(dest, to), { recursive: true })
  copy('package.json', 'package.json')
  copy('main.js', 'main.js')
  for (const f of ['env.js', ...HELPERS]) copy(f, path.join('services', f))
  for (const f of ['env.mjs', ...HELPERS]) copy(f, path.join('unpacked', f))
  const pkg = path.join(dest, 'node_modules', 'elife')
  fs.mkdirSync(pkg, { recursive: true })
  assert.ok(fs.existsSync(path.join(ROOT, addon)), `${addon} is missing: build it first`)
  for (const f of ['package.json', 'index.js', 'pm.js', 'lib', addon]) {
    fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true })
  }
}

/**
 * Packs `src` into `resources`/app.asar as apps ship it; returns the archive's path. With
 * `unpackPreload`, pm's preload is unpacked too (as asarUnpack can do), so none is copied.
 */
async function pack (src, resources, addon, unpackPreload = false) {
  const asar = await import('@electron/asar')
  fs.mkdirSync(resources, { recursive: true })
  const archive = path.join(resources, 'app.asar')
  const unpack = unpackPreload ? UNPACK.replace('}', ',run-as-node-preload.js}') : UNPACK
  await asar.createPackageWithOptions(src, archive, { unpack })
  const unpacked = archive + '.unpacked'
  assert.ok(fs.existsSync(path.join(unpacked, 'node_modules', 'elife', addon)), 'the addon is unpacked')
  assert.ok(fs.existsSync(path.join(unpacked, 'unpacked', 'env.mjs')), 'unpacked/ is unpacked')
  assert.ok(!fs.existsSync(path.join(unpacked, 'services')), 'services/ stays packed')
  const preload = path.join(unpacked, 'node_modules', 'elife', 'lib', 'run-as-node-preload.js')
  assert.equal(fs.existsSync(preload), unpackPreload, 'the preload is unpacked only when asked')
  assert.ok(!fs.existsSync(path.join(unpacked, 'node_modules', 'elife', 'lib', 'api.js')), "elife's lib/ stays packed")
  return archive
}

function readEvents (out) {
  let text = ''
  try {
    text = fs.readFileSync(path.join(out, 'main.jsonl'), 'utf8')
  } catch (e) {
    return []
  }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

/** Whether main.js is done (reported, failed or gave up). */
function finished (out) {
  return readEvents(out).some((e) => ['done', 'error', 'watchdog'].includes(e.event))
}

const isWindowsPath = (p) => /^[A-Za-z]:\\/.test(p)
const sameFile = (a, b) => isWindowsPath(a) ? a.toLowerCase() === b.toLowerCase() : a === b
/** The file: URL of `p`, a Windows path (the Windows suite runs in Linux node) or a local one. */
const fileUrl = (p) => isWindowsPath(p) ? new URL('file:///' + p.replace(/\\/g, '/')).href : pathToFileURL(p).href

/**
 * What the run must show. `expect`: { electron (version or null), node (version), preload (a
 * RegExp for the preload's path), why (text for failures) }.
 */
function checkRun (events, expect) {
  const why = expect.why || ''
  const dump = '\n' + events.map((e) => JSON.stringify(e).slice(0, 3000)).join('\n') + '\n' + why
  for (const bad of ['error', 'watchdog', 'pm-error']) {
    assert.equal(events.find((e) => e.event === bad), undefined, `main.js: ${bad}` + dump)
  }
  assert.ok(events.find((e) => e.event === 'done'), 'main.js finished' + dump)
  const started = events.find((e) => e.event === 'started')
  const scripts = Object.fromEntries(started.infos.map((i) => [i.name, i.script]))
  const reports = Object.fromEntries(events.filter((e) => e.event === 'report').map((e) => [e.name, e.report]))
  const warnings = events.filter((e) => e.event === 'warning').map((e) => e.message)
  assert.deepEqual(warnings.filter((w) => /elife\/pm/.test(w)), [], 'pm warned' + dump)

  for (const [name, args] of [['js', ['--flag', 'two words', '']], ['mjs', ['m']]]) {
    const r = reports[name]
    const label = `${name} service: `
    assert.ok(r, label + 'no report' + dump)
    // The service itself: the variable is gone once its code runs; it sees itself as usual.
    assert.equal(r.runAsNode, null, label + 'ELECTRON_RUN_AS_NODE is gone' + dump)
    assert.equal(r.electron, expect.electron, label + 'runs on the expected binary' + dump)
    assert.equal(r.node, expect.node, dump)
    assert.equal(r.argv.length, 2 + args.length, label + 'argv' + dump)
    assert.ok(sameFile(r.argv[0], r.execPath), label + 'argv[0] is execPath' + dump)
    assert.equal(r.argv[1], scripts[name], label + 'argv[1] is the script' + dump)
    assert.deepEqual(r.argv.slice(2), args, label + 'the args' + dump)
    assert.equal(r.filename, scripts[name], label + '__filename / import.meta.url' + dump)
    if (name === 'js') assert.equal(r.isMain, true, label + 'require.main === module' + dump)
    if (name === 'mjs') assert.equal(r.importMetaUrl, fileUrl(scripts[name]), label + dump)
    // Node options, not arguments: the preload (and --experimental-modules for .mjs on 12.14).
    assert.equal(r.execArgv[0], '--require', label + 'execArgv' + dump)
    assert.match(r.execArgv[1], expect.preload, label + 'the preload' + dump)
    const esmFlag = name === 'mjs' && /^12\.(\d|1[0-6])\./.test(expect.node) ? ['--experimental-modules'] : []
    assert.deepEqual(r.execArgv.slice(2), esmFlag, label + 'execArgv' + dump)

    // What it starts: a shell does not see the variable.
    assert.equal(r.shell, '[]', label + "sh -c 'echo \"[$ELECTRON_RUN_AS_NODE]\"' (spawn)" + dump)
    assert.equal(r.shellSync, '[]', label + 'the same with execFileSync' + dump)
    // Electron's binary started from it runs as Node, and only it gets the variable back.
    for (const how of ['fork', 'spawn', 'execFileSync', 'spawnSync', 'exec']) {
      const c = r[how]
      assert.ok(c && !c.error, `${label}${how}: ${JSON.stringify(c)}` + dump)
      assert.equal(c.how, how, label + how + dump)
      // Run as Node: had the binary started as an Electron app, child.js would be its main
      // process (type 'browser') or would not run at all.
      assert.equal(c.type, null, `${label}${how}: not an Electron browser process` + dump)
      // The forked child runs the preload too (below), which takes the variable away again.
      assert.equal(c.runAsNode, how === 'fork' ? null : '1', `${label}${how}: ELECTRON_RUN_AS_NODE` + dump)
      assert.equal(c.electron, expect.electron, `${label}${how}` + dump)
      assert.equal(c.node, expect.node, `${label}${how}` + dump)
    }
    // fork passes execArgv on, the preload with it: the forked child's own children are clean too.
    assert.equal(r.fork.shellSees, '[]', label + "a forked child's shell" + dump)
    assert.deepEqual(r.fork.execArgv, r.execArgv, label + 'fork passes execArgv on' + dump)
    // A child started without the preload is a plain Node program, whose children inherit its
    // environment as any Node program's do.
    assert.equal(r.spawn.shellSees, '[1]', label + dump)
  }
  return reports
}

module.exports = { layOut, pack, readEvents, finished, checkRun, UNPACK }
