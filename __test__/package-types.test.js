'use strict'
// The types as a user gets them: `npm run pack` this package, install the tarball into a fresh
// directory (offline, nothing else installed), and type-check __test__/types/usage.ts with
// `tsc --strict` under each TypeScript module setting an app may use, in each import style the
// setting allows. TypeScript is the repository's own (node_modules/typescript), not downloaded.
//
//   commonjs  node10 resolution, what `tsc --init` gave before TS 5.9: ignores "exports" and
//             needs pm.d.ts next to pm.js; with and without esModuleInterop (the default
//             import works either way: the module is its own `default`)
//   node16, nodenext   "exports" with the require and import conditions (.cts and .mts files)
//   bundler   "exports" with the import condition (module preserve, and esnext)
//
// Run: node --test __test__/package-types.test.js

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { pack } = require('../scripts/pack')

const ROOT = path.join(__dirname, '..')
const USAGE = fs.readFileSync(path.join(__dirname, 'types', 'usage.ts'), 'utf8')
const IMPORT_LINE = "import pm from 'elife/pm'\n"

const STYLES = {
  require: "import pm = require('elife/pm')\n",
  default: "import pm from 'elife/pm'\n",
  namespace: "import * as pm from 'elife/pm'\n"
}

// A plain JavaScript file checked by tsc (`checkJs`), as an editor does for a JS app.
const CHECK_JS = `// @ts-check
const pm = require('elife/pm')
pm.start({ script: '/opt/app/a.js', stopTimeout: 500 }).then((info) => {
  /** @type {number | null} */
  const pid = info.pid
  return pid
})
pm.on('exit', (e) => e.code)
// @ts-expect-error script is required
pm.start({ name: 'x' })
`

const COMMON = {
  strict: true,
  noEmit: true,
  target: 'es2019',
  lib: ['es2019'],
  types: [],
  skipLibCheck: false
}

/** Each setting: its compiler options, and the files (name -> content) it checks. */
const SETTINGS = {
  'commonjs (esModuleInterop)': {
    options: { module: 'commonjs', esModuleInterop: true, allowJs: true, checkJs: true },
    files: {
      'require.ts': STYLES.require,
      'default.ts': STYLES.default,
      'namespace.ts': STYLES.namespace,
      'check.js': null
    }
  },
  'commonjs (no esModuleInterop)': {
    options: { module: 'commonjs', allowJs: true, checkJs: true },
    files: {
      'require.ts': STYLES.require,
      'default.ts': STYLES.default,
      'namespace.ts': STYLES.namespace,
      'check.js': null
    }
  },
  node16: {
    options: { module: 'node16', allowJs: true, checkJs: true },
    files: { 'require.cts': STYLES.require, 'default.mts': STYLES.default, 'check.cjs': null }
  },
  nodenext: {
    options: { module: 'nodenext', allowJs: true, checkJs: true },
    files: { 'require.cts': STYLES.require, 'default.mts': STYLES.default, 'check.cjs': null }
  },
  'bundler (module preserve)': {
    options: { module: 'preserve', moduleResolution: 'bundler' },
    files: { 'require.ts': STYLES.require, 'default.ts': STYLES.default }
  },
  'bundler (module esnext)': {
    options: { module: 'esnext', moduleResolution: 'bundler' },
    files: { 'default.ts': STYLES.default, 'namespace.ts': STYLES.namespace }
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pm-types-'))
const app = path.join(tmp, 'app')
let tsc = null

function run (cmd, args, cwd) {
  const r = childProcess.spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  if (r.error) throw r.error
  return r
}

function ok (r, what) {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status})\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

before(() => {
  tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] })
  const version = require(require.resolve('typescript/package.json', { paths: [ROOT] })).version
  assert.match(version, /^5\./, `the repository's TypeScript is ${version}; this test is about TypeScript 5`)

  // The tarball an app installs today (`npm run pack`, scripts/pack.js).
  const info = pack({ out: tmp })
  const packed = info.files
  for (const f of ['pm.js', 'pm.d.ts', 'index.js', 'index.d.ts']) {
    assert.ok(packed.includes(f), `the tarball has no ${f} (check "files" in package.json): ${packed.join(', ')}`)
  }

  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'types-app', version: '1.0.0', private: true }) + '\n')
  ok(run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error',
    info.tgz], app), 'npm install of the tarball')
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'elife', 'pm.d.ts')), 'elife/pm.d.ts is not installed')
})

after(() => fs.rmSync(tmp, { recursive: true, force: true }))

for (const [setting, { options, files }] of Object.entries(SETTINGS)) {
  test(`TypeScript 5 --strict, ${setting}: ${Object.keys(files).join(', ')}`, () => {
    assert.equal(USAGE.split(IMPORT_LINE).length, 2, `usage.ts should have the line ${JSON.stringify(IMPORT_LINE)} once`)
    const dir = path.join(app, setting.replace(/\W+/g, '-'))
    fs.mkdirSync(dir)
    for (const [name, importLine] of Object.entries(files)) {
      const text = importLine === null ? CHECK_JS : USAGE.replace(IMPORT_LINE, importLine)
      fs.writeFileSync(path.join(dir, name), text)
    }
    const config = { compilerOptions: { ...COMMON, ...options }, files: Object.keys(files) }
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2) + '\n')
    const r = run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], dir)
    ok(r, `tsc ${JSON.stringify(options)}`)
  })
}

// What tsc emits for each import style must also work at run time: `import pm from` compiled
// without esModuleInterop reads `require('elife/pm').default`.
const RUNTIME = {
  'commonjs, no esModuleInterop': { module: 'commonjs' },
  'commonjs, esModuleInterop': { module: 'commonjs', esModuleInterop: true }
}
for (const [setting, options] of Object.entries(RUNTIME)) {
  test(`the compiled import styles load the API at run time (${setting})`, () => {
    const dir = path.join(app, 'runtime-' + setting.replace(/\W+/g, '-'))
    fs.mkdirSync(dir)
    const names = []
    for (const [style, importLine] of Object.entries(STYLES)) {
      fs.writeFileSync(path.join(dir, `${style}.ts`), importLine +
        `console.log(JSON.stringify({ style: '${style}', start: typeof pm.start, list: typeof pm.list, on: typeof pm.on }))\n`)
      names.push(`${style}.ts`)
    }
    const config = { compilerOptions: { strict: true, target: 'es2019', types: [], outDir: 'out', ...options }, files: names }
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2) + '\n')
    ok(run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], dir), `tsc ${JSON.stringify(options)}`)
    for (const style of Object.keys(STYLES)) {
      const out = ok(run(process.execPath, [path.join(dir, 'out', `${style}.js`)], dir), `node out/${style}.js`)
      assert.deepEqual(JSON.parse(out), { style, start: 'function', list: 'function', on: 'function' })
    }
  })
}

test('the types really resolve: an unknown module is an error under the same settings', () => {
  // Guards the test itself: if resolution silently gave `any`, the usage files' @ts-expect-error
  // lines would already fail; here, that tsc reports a module it cannot find.
  const dir = path.join(app, 'missing')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'a.ts'), "import pm = require('elife/nothing')\nexport const x = pm\n")
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...COMMON, module: 'commonjs' }, files: ['a.ts'] }))
  const r = run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], dir)
  assert.notEqual(r.status, 0)
  assert.match(r.stdout, /TS2307|TS7016/, r.stdout)
})
