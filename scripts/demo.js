#!/usr/bin/env node
'use strict'
// `npm run demo`: the demo app (examples/demo) packaged the way an app ships and run on a real
// Electron 9.4.1.
//
//   npm run demo                                   the status window, until you close it
//   npm run demo -- --smoke [--screenshot FILE]    run until every service has shown it works,
//                                                  save the window as a PNG, quit; exit 0 or 1
//   options: --keep (keep the staging directory)
//            --windows (the Windows build in Windows Electron 9.4.1 under Wine, see below)
//
// Steps: set up what is missing (scripts/setup.js: system packages, npm ci, the addon, Electron);
// pack this package with the one addon it needs (scripts/pack.js, `npm run pack`); install the
// tarball into a staging copy of examples/demo (so a broken "files" list breaks the demo too);
// pack that into <staging>/resources/app.asar with *.node and *.py unpacked; run Electron on
// the archive (under `xvfb-run -a` when there is no DISPLAY); exit with Electron's code.
//
// The staging directory is removed at the end (kept after a failed run, its path printed). A
// smoke run's userData (the services' logs, pm's state) is kept in .cache/demo-runs/<run>/,
// the newest RUNS_KEPT runs; the window's footer and the last line printed say where.
//
// --windows: the same app with the Windows addon (scripts/windows/build.sh, which sets up MinGW,
// Wine and the Windows runtimes when missing), run by the Windows Electron under Wine (under
// xvfb-run when there is no DISPLAY). Electron's output goes to a file, printed afterwards:
// Windows programs under Wine cannot write to a pipe. userData lives in the Wine user's
// profile (pm's state directory must be inside it) during the run and is moved to
// .cache/demo-runs/ afterwards. The Python service is not run there (the window says why).

const childProcess = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

// Node's own modules and our scripts only up here: setup() installs the devDependencies.
const { setup, ADDON } = require('./setup')
const WIN_ADDON = 'pm.win32-x64-gnu.node'

const ROOT = path.join(__dirname, '..')
const APP_SRC = path.join(ROOT, 'examples', 'demo')
/** What the archive leaves outside: the addon (Node cannot load it from inside) and Python. */
const UNPACK = '{*.node,*.py}'
/** Kill Electron if it is still running after this long in a smoke run (it has its own 60 s). */
const SMOKE_KILL_AFTER = 120000
/** Smoke runs whose userData (logs) is kept, newest first. */
const RUNS_DIR = path.join(ROOT, '.cache', 'demo-runs')
const RUNS_KEPT = 5

const t0 = Date.now()

function say (msg) {
  process.stdout.write(`demo.js: ${msg}\n`)
}

function usage () {
  return 'usage: node scripts/demo.js [--smoke] [--screenshot FILE] [--keep] [--windows]'
}

function parseArgs (argv) {
  const out = { smoke: false, screenshot: null, keep: false, windows: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--smoke') out.smoke = true
    else if (a === '--keep') out.keep = true
    else if (a === '--windows') out.windows = true
    else if (a === '--screenshot') {
      if (i + 1 >= argv.length) throw new Error('--screenshot needs a file name\n' + usage())
      out.screenshot = argv[++i]
    } else if (a.startsWith('--screenshot=')) out.screenshot = a.slice('--screenshot='.length)
    else if (a === '-h' || a === '--help') {
      process.stdout.write(usage() + '\n')
      process.exit(0)
    } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage()}`)
  }
  if (out.screenshot !== null) {
    if (!out.screenshot) throw new Error('--screenshot needs a file name')
    // `npm run demo` runs in the package root; a relative name means the directory npm was run
    // from (INIT_CWD).
    const base = process.env.npm_lifecycle_event === 'demo' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd()
    out.screenshot = path.resolve(base, out.screenshot)
    if (!out.smoke) say('note: --screenshot is only taken in a --smoke run')
  }
  return out
}

function run (cmd, args, options) {
  const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options })
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`)
  if (r.status !== 0) {
    const out = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').slice(-20).join('\n')
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status === null ? r.signal : r.status})${out ? '\n' + out : ''}`)
  }
  return r.stdout
}

// ---- 1. the package, as published ------------------------------------------------------------

// `npm run pack` (scripts/pack.js): the package's files with the one addon this app needs.
function packPackage (dir, addon) {
  const r = require('./pack').pack({ out: dir, addons: [addon], prepare: false })
  if (!fs.existsSync(r.tgz)) throw new Error(`scripts/pack.js reported ${r.tgz} but it does not exist`)
  return r
}

// ---- 2. the app, staged and packed ----------------------------------------------------------

function stageApp (appDir, tgz, addon) {
  fs.cpSync(APP_SRC, appDir, {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|logs)$/.test(src) && !src.endsWith('.log')
  })
  // The app depends on elife as an app would; here, on the tarball just packed.
  const pkgFile = path.join(appDir, 'package.json')
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
  pkg.dependencies = { ...pkg.dependencies, elife: 'file:' + tgz }
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n')
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--omit=dev',
    '--loglevel=error'], { cwd: appDir })
  for (const needed of ['package.json', 'pm.js', 'index.js', 'lib', addon, path.join('python', 'elife_pm', '__init__.py')]) {
    if (!fs.existsSync(path.join(appDir, 'node_modules', 'elife', needed))) {
      // Not fatal here: the app reports what fails, as it would for a user of the package.
      say(`WARNING: the installed package has no ${needed} (check "files" in package.json)`)
    }
  }
}

async function packApp (appDir, resources) {
  fs.mkdirSync(resources, { recursive: true })
  const asar = require('@electron/asar')
  const archive = path.join(resources, 'app.asar')
  await asar.createPackageWithOptions(appDir, archive, { unpack: UNPACK })
  return archive
}

/** A fresh userData directory for a smoke run, under RUNS_DIR; older runs past RUNS_KEPT go. */
function smokeUserData () {
  fs.mkdirSync(RUNS_DIR, { recursive: true })
  const name = new Date().toISOString().replace(/[:.]/g, '-') + '-' + process.pid
  const dir = path.join(RUNS_DIR, name)
  fs.mkdirSync(dir)
  const runs = fs.readdirSync(RUNS_DIR).sort().reverse()
  for (const old of runs.slice(RUNS_KEPT)) fs.rmSync(path.join(RUNS_DIR, old), { recursive: true, force: true })
  return dir
}

/** Where a Windows run's userData lives while Electron runs: the same name inside the Wine
 * user's profile (%APPDATA%), where pm accepts its state directory. */
function wineUserData (dir, wine) {
  const users = path.join(wine.PREFIX, 'drive_c', 'users')
  const me = os.userInfo().username
  const user = fs.existsSync(path.join(users, me)) ? me : fs.readdirSync(users).filter((u) => u !== 'Public')[0]
  if (!user) throw new Error(`no user profile in ${users}: run scripts/windows/setup.sh`)
  return path.join(users, user, 'AppData', 'Roaming', 'elife-pm-demo-runs', path.basename(dir))
}

// ---- 3. Electron ------------------------------------------------------------------------------

// The environment Electron starts with: ours, minus what would change how it runs.
function electronEnv (extra) {
  const env = { ...process.env, ...extra }
  for (const k of ['ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ASAR', 'NODE_OPTIONS', 'NODE_CHANNEL_FD',
    'NODE_CHANNEL_SERIALIZATION_MODE', 'ELIFE_PM_PARENT', 'NODE_TEST_CONTEXT']) {
    delete env[k]
  }
  return env
}

function checkXvfbRun () {
  const r = childProcess.spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' })
  if (r.error) {
    throw new Error(`there is no DISPLAY and no xvfb-run (${r.error.message}); Electron's main process needs a ` +
      'display: install xvfb (scripts/install-system-deps.sh, or apt-get install xvfb), or set DISPLAY')
  }
}

let child = null

/** The Windows Electron under Wine; its output goes through `outFile`, printed at the end. */
function launchWine (wine, archive, appArgs, env, cwd, outFile) {
  const headless = !process.env.DISPLAY
  const wineArgs = ['wine', wine.ELECTRON_EXE, '--no-sandbox', '--disable-gpu', wine.winPath(archive), ...appArgs]
  const cmd = headless ? 'xvfb-run' : wineArgs[0]
  const args = headless ? ['-a', '-s', '-screen 0 1280x800x24', ...wineArgs] : wineArgs.slice(1)
  return new Promise((resolve) => {
    const fd = fs.openSync(outFile, 'w')
    child = childProcess.spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] })
    fs.closeSync(fd)
    const output = () => {
      const text = fs.readFileSync(outFile, 'utf8')
      process.stdout.write(text)
      return text.slice(-4000)
    }
    child.on('error', (err) => resolve({ code: null, signal: null, error: err, stderrTail: output() }))
    child.on('close', (code, signal) => resolve({ code, signal, stderrTail: output() }))
  })
}

function launch (electron, archive, appArgs, env, cwd) {
  const headless = !process.env.DISPLAY
  const cmd = headless ? 'xvfb-run' : electron
  const electronArgs = ['--no-sandbox', archive, ...appArgs]
  const args = headless ? ['-a', electron, ...electronArgs] : electronArgs
  return new Promise((resolve) => {
    let stderrTail = ''
    // Its own process group: a timeout or Ctrl+C reaches Electron and Xvfb together.
    child = childProcess.spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (d) => process.stdout.write(d))
    child.stderr.on('data', (d) => {
      process.stderr.write(d)
      stderrTail = (stderrTail + d).slice(-4000)
    })
    child.on('error', (err) => resolve({ code: null, signal: null, error: err, stderrTail }))
    child.on('close', (code, signal) => resolve({ code, signal, stderrTail }))
  })
}

// Under Wine, Electron's processes and the services are Wine processes of the demo's prefix:
// after a kill, wineserver -k ends what is left of them.
let wineEnv = null
function endWine () {
  if (wineEnv) childProcess.spawnSync('wineserver', ['-k'], { env: wineEnv, stdio: 'ignore' })
}

function killChild (signal) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch (e) {}
}

// Electron itself: our child, or xvfb-run's.
function electronPids () {
  if (!child) return []
  const pids = [child.pid]
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === child.pid && /\(electron\)/.test(stat)) pids.push(Number(name))
    } catch (e) {}
  }
  return pids
}

// Asks Electron to quit (it turns SIGTERM into app.quit(): pm stops every service); xvfb-run
// then ends its Xvfb. Signalling the whole group would take the display away mid-quit.
function askToQuit () {
  const pids = electronPids()
  const target = pids.length > 1 ? pids.slice(1) : pids
  for (const pid of target) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch (e) {}
  }
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  let electron = null
  let wine = null
  if (opts.windows) {
    say('--windows: scripts/windows/build.sh (MinGW, Wine and the Windows runtimes when missing; the Windows addon)')
    run('bash', [path.join(__dirname, 'windows', 'build.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
    wine = require('./windows/wine')
    wineEnv = wine.ENV
    checkXvfbRun()
  } else {
    electron = setup().electron
    if (!process.env.DISPLAY) checkXvfbRun()
  }

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'elife-demo-'))
  say(`staging ${staging}`)
  let keep = opts.keep
  let code = 1
  let userData = null
  let wineData = null
  try {
    const pack = packPackage(path.join(staging, 'pack'), opts.windows ? WIN_ADDON : ADDON)
    say(`packed ${path.basename(pack.tgz)} (${pack.files.length} files, ${Math.round(pack.size / 1024)} kB)`)
    const appDir = path.join(staging, 'app')
    stageApp(appDir, pack.tgz, opts.windows ? WIN_ADDON : ADDON)
    const archive = await packApp(appDir, path.join(staging, 'resources'))
    say(`packed the app into ${archive} (${UNPACK} unpacked) in ${((Date.now() - t0) / 1000).toFixed(1)} s; starting Electron`)

    const appArgs = []
    if (opts.smoke) appArgs.push('--smoke')
    if (opts.screenshot) appArgs.push('--screenshot', wine ? wine.winPath(opts.screenshot) : opts.screenshot)
    // Smoke runs keep their userData (logs, pm's state) where it outlives the staging directory.
    if (opts.smoke) userData = smokeUserData()
    wineData = wine && userData ? wineUserData(userData, wine) : null
    if (wineData) fs.mkdirSync(wineData, { recursive: true })
    const dataEnv = userData ? { ELIFE_DEMO_USER_DATA: wineData ? wine.winPath(wineData) : userData } : {}
    const env = electronEnv(Object.assign({}, wine ? wine.ENV : {}, dataEnv))

    let timer = null
    if (opts.smoke) {
      timer = setTimeout(() => {
        process.stderr.write(`demo.js: Electron still running after ${SMOKE_KILL_AFTER / 1000} s: killing it\n`)
        killChild('SIGKILL')
        endWine()
      }, SMOKE_KILL_AFTER)
    }
    let r
    for (let attempt = 1; ; attempt++) {
      r = wine
        ? await launchWine(wine, archive, appArgs, env, staging, path.join(staging, 'electron.out'))
        : await launch(electron, archive, appArgs, env, staging)
      // `xvfb-run -a` picks a display number without a lock: a concurrent run can take it first.
      if (r.code === 1 && /Xvfb failed to start/.test(r.stderrTail) && attempt < 3) {
        say('Xvfb failed to start (display taken?): trying again')
        continue
      }
      break
    }
    clearTimeout(timer)
    child = null
    if (r.error) throw new Error(`could not start Electron: ${r.error.message}`)
    code = r.code === null ? 1 : r.code
    const took = ((Date.now() - t0) / 1000).toFixed(1)
    if (code === 0) say(`Electron exited 0 after ${took} s in all`)
    else {
      say(`Electron exited with ${r.code === null ? 'signal ' + r.signal : 'code ' + r.code} after ${took} s`)
      keep = true
    }
  } finally {
    if (wineData) {
      fs.cpSync(wineData, userData, { recursive: true })
      fs.rmSync(wineData, { recursive: true, force: true })
    }
    if (keep) say(`kept ${staging}`)
    else fs.rmSync(staging, { recursive: true, force: true })
    if (userData) say(`the services' logs are kept in ${path.join(userData, 'logs')}`)
  }
  return code
}

// Ctrl+C or a kill: Electron turns SIGTERM into a quit (pm stops every service), then we clean up.
let signalled = 0
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signalled++
    if (!child) process.exit(128 + os.constants.signals[signal])
    else if (wineEnv) {
      killChild('SIGKILL')
      endWine()
    } else if (signalled === 1) askToQuit()
    else killChild('SIGKILL') // a second Ctrl+C: no more waiting (pm's death signal still stops the services)
  })
}

main().then((code) => {
  process.exitCode = code
}, (err) => {
  process.stderr.write(`demo.js: ${err && err.message ? err.message : err}\n`)
  process.exitCode = 1
})
