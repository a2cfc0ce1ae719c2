'use strict'
// Installing before anything is published: `npm run pack` makes elife-<version>.tgz with the
// package's files and this host's addon only, and an app installs it with
// `npm install /path/to/elife-<version>.tgz`. Checked here as a user does it: the tarball is
// installed into a fresh app directory, whose main.js starts a service on Electron 9.4.1 (under
// xvfb-run), sees it run, and quits; nothing is left. Fails, never skips, without Electron or
// xvfb-run. Run: node --test __test__/pack.test.js

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { requireElectron, runElectronApp, tail } = require('./electron-app')
const { pack, hostAddon } = require('../scripts/pack')

const ROOT = path.join(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-pack-'))
let tgz = null

function run (cmd, args, options) {
  const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...options })
  if (r.error) throw r.error
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (exit ${r.status})\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

function tarList (file) {
  return run('tar', ['-tzf', file]).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')).sort()
}

before(() => {
  requireElectron()
  // As the README says: `npm run pack` prints the tarball's path.
  const out = run('npm', ['run', '--silent', 'pack', '--', '--out', path.join(tmp, 'dist')], { cwd: ROOT })
  tgz = out.trim().split('\n').pop()
  assert.ok(fs.existsSync(tgz), `npm run pack printed ${JSON.stringify(out)}`)
})

after(() => fs.rmSync(tmp, { recursive: true, force: true }))

test('npm run pack: the package files and this host\'s addon, nothing else', () => {
  assert.equal(path.basename(tgz), `elife-${pkg.version}.tgz`)
  const files = tarList(tgz)
  assert.deepEqual(files.filter((f) => f.endsWith('.node')), [hostAddon()])
  for (const f of ['package.json', 'index.js', 'index.d.ts', 'pm.js', 'pm.d.ts', 'lib/api.js', 'lib/native.js',
    'python/elife_pm/__init__.py', 'python/elife_pm/_winpipe.py', 'README.md', 'LICENSE']) {
    assert.ok(files.includes(f), `the tarball has no ${f}: ${files.join(', ')}`)
  }
  assert.deepEqual(files.filter((f) => /^(src|__test__|scripts|examples|npm|bench|target)\//.test(f)), [])
})

test('npm run pack leaves out the addons of other platforms lying in the checkout', () => {
  // A copy of the package with a Windows and a macOS build beside this host's (as a checkout
  // holds after npm run build:windows): npm pack would take all three.
  const root = path.join(tmp, 'checkout')
  for (const f of tarList(tgz)) {
    fs.mkdirSync(path.join(root, path.dirname(f)), { recursive: true })
    fs.copyFileSync(path.join(ROOT, f), path.join(root, f))
  }
  const others = ['pm.win32-x64-gnu.node', 'pm.darwin-arm64.node'].filter((f) => f !== hostAddon())
  for (const f of others) fs.writeFileSync(path.join(root, f), 'another platform\'s build')
  const plain = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }).replace(/^[^[]*/, ''))[0]
  assert.deepEqual(plain.files.map((f) => f.path).filter((f) => f.endsWith('.node')).sort(), [hostAddon(), ...others].sort(),
    'a plain npm pack takes every *.node')
  const r = pack({ root, out: path.join(tmp, 'checkout-dist'), prepare: false })
  assert.deepEqual(tarList(r.tgz).filter((f) => f.endsWith('.node')), [hostAddon()])
  // And only the addons asked for, when asked (the Windows demo packs the Windows build).
  const win = pack({ root, out: path.join(tmp, 'checkout-win'), addons: ['pm.win32-x64-gnu.node'], prepare: false })
  assert.deepEqual(tarList(win.tgz).filter((f) => f.endsWith('.node')), ['pm.win32-x64-gnu.node'])
})

test('npm install of the tarball into a fresh app; its main.js starts a service on Electron 9.4.1, quits, and nothing is left', { timeout: 180000 }, async () => {
  const app = path.join(tmp, 'my-app')
  const out = path.join(tmp, 'out')
  fs.mkdirSync(app)
  fs.mkdirSync(out)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true, main: 'main.js' }, null, 2) + '\n')
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tgz], { cwd: app })
  const installed = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'))
  assert.equal(installed.dependencies.elife, `file:${path.relative(app, tgz)}`)
  assert.deepEqual(fs.readdirSync(path.join(app, 'node_modules', 'elife')).filter((f) => f.endsWith('.node')), [hostAddon()])

  fs.writeFileSync(path.join(app, 'main.js'), `'use strict'
const { app } = require('electron')
const fs = require('fs')
const path = require('path')
const pm = require('elife/pm')

const OUT = process.env.PM_TEST_OUT
app.whenReady().then(async () => {
  const info = await pm.start({ name: 'hello', script: path.join(__dirname, 'services', 'hello.js'),
    log: path.join(OUT, 'hello.log'), waitReady: true })
  fs.writeFileSync(path.join(OUT, 'started.json'), JSON.stringify({ info: info, list: pm.list(),
    elife: require.resolve('elife/pm'), electron: process.versions.electron }))
  app.quit()
}).catch((err) => {
  fs.writeFileSync(path.join(OUT, 'error.txt'), String(err && err.stack))
  app.exit(70)
})
`)
  fs.mkdirSync(path.join(app, 'services'))
  fs.writeFileSync(path.join(app, 'services', 'hello.js'), `'use strict'
const fs = require('fs')
const path = require('path')
const pm = require('elife/pm')
console.log('hello from the service')
const keepAlive = setInterval(() => {}, 1000)
pm.onstopping(() => {
  clearInterval(keepAlive)
  fs.writeFileSync(path.join(process.env.PM_TEST_OUT, 'stopped'), String(process.pid))
})
pm.ready()
`)

  const r = await runElectronApp(app, { env: { PM_TEST_OUT: out } })
  const why = `exit ${r.code} ${r.signal}${r.timedOut ? ' (timed out)' : ''}\nstderr:\n${tail(r.stderr)}\nstdout:\n${tail(r.stdout)}` +
    (fs.existsSync(path.join(out, 'error.txt')) ? '\nmain.js: ' + fs.readFileSync(path.join(out, 'error.txt'), 'utf8') : '')
  assert.equal(r.timedOut, false, why)
  assert.equal(r.code, 0, why)
  const started = JSON.parse(fs.readFileSync(path.join(out, 'started.json'), 'utf8'))
  assert.equal(started.electron, '9.4.1')
  assert.equal(started.elife, path.join(fs.realpathSync(app), 'node_modules', 'elife', 'pm.js'), 'the installed package')
  assert.equal(started.list.length, 1, why)
  assert.equal(started.list[0].state, 'running', why)
  assert.equal(started.list[0].ready, true, why)
  // It ran (its line is in its log) and was stopped politely when the app quit.
  assert.match(fs.readFileSync(path.join(out, 'hello.log'), 'utf8'), new RegExp(`hello\\[${started.info.pid}\\] out: hello from the service`))
  assert.equal(fs.readFileSync(path.join(out, 'stopped'), 'utf8'), String(started.info.pid))
  assert.deepEqual(r.left, [], 'processes left after Electron exited\n' + why)
})
