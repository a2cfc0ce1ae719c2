#!/usr/bin/env node
'use strict'
// `npm run pack`: the package as a tarball an app installs today, before anything is published:
//
//   npm run pack                       -> <repo>/elife-<version>.tgz (its path is printed)
//   cd my-app && npm install /path/to/elife-<version>.tgz
//
//   node scripts/pack.js [--out DIR] [--addon pm.<platform>.node]...
//   require('./pack').pack({ out, addons }) -> { tgz, files, addons }
//
// It sets up what is missing first (scripts/setup.js: `npm ci`, then `npm run build` when this
// host's addon is missing or older than the Rust sources; needs cargo), then packs the files
// `npm pack` would take (package.json "files"), with exactly one compiled addon: this host's
// pm.<platform>.node (or the --addon files named, e.g. the Windows build for an app run under
// Wine). A plain `npm pack` takes every *.node in the checkout, so a Linux app would ship a
// Windows build lying beside it.
//
// A local build links against this machine's C library: a Linux tarball runs where glibc is
// at least as new as the builder's. The release (npm run artifacts, .github/workflows/release.yml)
// builds against glibc 2.17 instead.

const childProcess = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const setup = require('./setup')
const { resolveBinding } = require('../lib/platforms')

const ROOT = path.join(__dirname, '..')

function say (msg) {
  process.stderr.write(`pack: ${msg}\n`)
}

function usage () {
  return 'usage: node scripts/pack.js [--out DIR] [--addon pm.<platform>.node]...'
}

function parseArgs (argv) {
  const opts = { out: ROOT, addons: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${usage()}`)
      return argv[++i]
    }
    if (a === '--out') opts.out = path.resolve(value())
    else if (a === '--addon') opts.addons.push(value())
    else if (a === '-h' || a === '--help') {
      process.stdout.write(usage() + '\n')
      process.exit(0)
    } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage()}`)
  }
  return opts
}

function npm (args, cwd) {
  const r = childProcess.spawnSync('npm', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error) throw new Error(`npm ${args.join(' ')}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status})\n${r.stderr}${r.stdout}`)
  const out = r.stdout
  return JSON.parse(out.slice(out.indexOf('[')))[0]
}

/** This host's addon file name (pm.linux-x64-gnu.node, ...). */
function hostAddon () {
  let musl = false
  if (process.platform === 'linux') {
    try {
      musl = !process.report.getReport().header.glibcVersionRuntime
    } catch (e) {}
  }
  const where = resolveBinding(process.platform, process.arch, musl)
  if (where instanceof Error) throw where
  return where.file
}

/**
 * Packs `root` (default: this checkout) into `out` with exactly the addons named (default: this
 * host's, built when missing or stale). `prepare: false` skips the set-up (npm ci, build).
 */
function pack (options = {}) {
  const root = options.root || ROOT
  const out = options.out || root
  const addons = options.addons && options.addons.length ? options.addons : [hostAddon()]
  if (options.prepare !== false) {
    setup.checkNode()
    setup.npmPackages()
    if (addons.includes(setup.ADDON)) setup.addon()
  }
  for (const addon of addons) {
    if (!/^pm\.[\w-]+\.node$/.test(addon)) throw new Error(`--addon ${addon}: expected a name like pm.linux-x64-gnu.node`)
    if (!fs.existsSync(path.join(root, addon))) throw new Error(`${addon} is missing in ${root}: build it first`)
  }

  // What `npm pack` takes (its own reading of "files", .npmignore and the always-included
  // files), less every compiled addon that was not asked for.
  const listed = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root).files.map((f) => f.path)
  const files = listed.filter((f) => !/\.node$/.test(f) || addons.includes(f))
  for (const addon of addons) {
    if (!files.includes(addon)) throw new Error(`npm pack does not take ${addon}: check "files" in package.json`)
  }

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-pack-'))
  try {
    for (const f of files) {
      fs.mkdirSync(path.join(staging, path.dirname(f)), { recursive: true })
      fs.copyFileSync(path.join(root, f), path.join(staging, f))
      fs.chmodSync(path.join(staging, f), fs.statSync(path.join(root, f)).mode)
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
    // "files" names the addons kept instead of every *.node.
    pkg.files = pkg.files.filter((f) => !/\.node$/.test(f)).concat(addons)
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
    fs.mkdirSync(out, { recursive: true })
    const info = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], staging)
    const packed = info.files.map((f) => f.path).sort()
    const nodes = packed.filter((f) => /\.node$/.test(f))
    if (nodes.join() !== addons.slice().sort().join()) throw new Error(`the tarball holds ${nodes.join(', ') || 'no addon'}, not ${addons.join(', ')}`)
    return { tgz: path.join(out, info.filename), files: packed, addons, size: info.size }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
  }
}

module.exports = { pack, hostAddon }

if (require.main === module) {
  try {
    const opts = parseArgs(process.argv.slice(2))
    const r = pack(opts)
    say(`${r.files.length} files, ${Math.round(r.size / 1024)} kB, addon ${r.addons.join(', ')}; install it in an app with:`)
    say(`  npm install ${r.tgz}`)
    process.stdout.write(r.tgz + '\n')
  } catch (e) {
    process.stderr.write(`pack: ${e && e.message ? e.message : e}\n`)
    process.exit(1)
  }
}
