'use strict'
// macOS only, in CI on real runners (.github/workflows/ci.yml, job macos-dock; nothing here can
// run it): a Node service of a packaged app runs on the bundle's helper, so it gets no Dock icon.
//
// It installs the official Electron (PM_DOCK_ELECTRON, default 33: npm downloads the binary on
// GitHub's runners) and @electron/packager 18 in a directory of their own, packages
// fixtures/macos-dock as "PM Dock Test.app" (a name with spaces; the main executable renamed
// apart from it, `pm-dock-test`, so that pm finds the helper by the bundle's CFBundleName, as
// Electron does) with this package and its addon (pm.darwin-<arch>.node, where lib/native.js
// looks first) inside, signs it ad hoc, starts it, and checks the running service: the
// executable of its process (proc_pidpath, and `ps -o comm=`) is
// `PM Dock Test.app/Contents/Frameworks/PM Dock Test Helper.app/Contents/MacOS/PM Dock Test
// Helper`; LaunchServices does not list it as a foreground (Dock) app; it has no
// ELECTRON_RUN_AS_NODE and neither has a shell it starts; pm gave no "no helper" warning.
//
// Run: node --test __test__/macos/dock.js (on macOS, after the addon is in place).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const childProcess = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const ROOT = path.join(__dirname, '..', '..')
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'macos-dock')
const ELECTRON = process.env.PM_DOCK_ELECTRON || '33'
const NAME = 'PM Dock Test'
const EXE = 'pm-dock-test'
const REPORT_WITHIN = 120000

function run (cmd, args, options) {
  const r = childProcess.spawnSync(cmd, args, Object.assign({ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }, options))
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.error || 'exit ' + r.status}):\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** The executable of process `pid`, as the kernel has it (proc_pidpath), via Python's ctypes. */
function procPidPath (pid) {
  const code = [
    'import ctypes, sys',
    'lib = ctypes.CDLL("/usr/lib/libproc.dylib")',
    'buf = ctypes.create_string_buffer(4096)',
    'n = lib.proc_pidpath(int(sys.argv[1]), buf, 4096)',
    'sys.stdout.write(buf.value.decode() if n > 0 else "")'
  ].join('\n')
  return run('python3', ['-c', code, String(pid)])
}

/** How LaunchServices lists process `pid` ("Foreground" has a Dock icon), or null if it does not. */
function launchServicesType (pid) {
  const listing = run('lsappinfo', ['list'])
  const m = new RegExp('pid = ' + pid + ' type="([^"]+)"').exec(listing)
  return m ? m[1] : null
}

function waitForFile (files, child, ms) {
  return new Promise((resolve, reject) => {
    const until = Date.now() + ms
    let exited = null
    child.on('exit', (code, signal) => { exited = { code, signal } })
    const poll = setInterval(() => {
      for (const f of files) {
        if (fs.existsSync(f)) {
          clearInterval(poll)
          return resolve(f)
        }
      }
      if (exited || Date.now() > until) {
        clearInterval(poll)
        reject(new Error(exited ? `the app exited (${JSON.stringify(exited)}) before reporting` : `no report within ${ms} ms`))
      }
    }, 100)
  })
}

test('a packaged app on macOS runs its Node service on the bundle helper (no Dock icon)', { timeout: 1200000 }, async () => {
  assert.equal(process.platform, 'darwin', 'this check runs on macOS only')
  const addon = `pm.darwin-${process.arch}.node`
  assert.ok(fs.existsSync(path.join(ROOT, addon)), `${addon} is missing beside package.json`)
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pm-dock-')))

  // The tools, apart from the repository's own node_modules.
  const tools = path.join(tmp, 'tools')
  fs.mkdirSync(tools)
  fs.writeFileSync(path.join(tools, 'package.json'), '{ "private": true }\n')
  run('npm', ['install', '--no-audit', '--no-fund', `electron@${ELECTRON}`, '@electron/packager@18'], { cwd: tools })
  const version = JSON.parse(fs.readFileSync(path.join(tools, 'node_modules', 'electron', 'package.json'), 'utf8')).version
  const mod = await import(pathToFileURL(require.resolve('@electron/packager', { paths: [tools] })).href)
  const packager = mod.packager || (mod.default && (mod.default.packager || mod.default))
  assert.equal(typeof packager, 'function', 'found @electron/packager\'s packager()')

  // The app, with this package as an app installs it.
  const src = path.join(tmp, 'app')
  fs.cpSync(FIXTURE, src, { recursive: true })
  const pkg = path.join(src, 'node_modules', 'elife')
  fs.mkdirSync(pkg, { recursive: true })
  for (const f of ['package.json', 'index.js', 'pm.js', 'lib', addon]) fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true })
  const [outDir] = await packager({
    dir: src,
    name: NAME,
    executableName: EXE,
    platform: 'darwin',
    arch: process.arch,
    electronVersion: version,
    asar: { unpack: '*.node' },
    prune: false,
    out: path.join(tmp, 'dist'),
    overwrite: true,
    quiet: true
  })
  const appPath = path.join(outDir, `${NAME}.app`)
  const contents = path.join(appPath, 'Contents')
  const helper = path.join(contents, 'Frameworks', `${NAME} Helper.app`, 'Contents', 'MacOS', `${NAME} Helper`)
  assert.ok(fs.existsSync(helper), `the packager made ${helper}`)
  assert.ok(fs.existsSync(path.join(contents, 'MacOS', EXE)), 'the main executable is renamed')
  // Renamed executables and rewritten Info.plists break Electron's signature: sign ad hoc.
  run('codesign', ['--force', '--deep', '--sign', '-', appPath])
  console.log(`packaged Electron ${version} (${process.arch}) as ${appPath}`)

  const out = path.join(tmp, 'out')
  fs.mkdirSync(out)
  let output = ''
  const child = childProcess.spawn(path.join(contents, 'MacOS', EXE), [], {
    env: Object.assign({}, process.env, { PM_DOCK_OUT: out }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  let res
  try {
    const got = await waitForFile([path.join(out, 'report.json'), path.join(out, 'error.json')], child, REPORT_WITHIN)
      .catch((e) => { throw new Error(e.message + '\n' + output) })
    const report = JSON.parse(fs.readFileSync(got, 'utf8'))
    const why = '\n' + JSON.stringify(report, null, 2) + '\n' + output
    assert.ok(got.endsWith('report.json'), 'main.js failed' + why)

    const real = fs.realpathSync(helper)
    assert.equal(fs.realpathSync(report.execPath), real, "the service's process.execPath is the helper" + why)
    const kernel = procPidPath(report.pid)
    console.log(`service pid ${report.pid}: proc_pidpath ${kernel}`)
    assert.ok(kernel, 'proc_pidpath answered' + why)
    assert.equal(fs.realpathSync(kernel), real, "the service's executable (proc_pidpath) is the helper" + why)
    const comm = run('ps', ['-o', 'comm=', '-p', String(report.pid)]).trim()
    console.log(`ps -o comm=: ${comm}`)
    assert.ok(comm.endsWith(`${NAME} Helper`), `ps -o comm= names the helper, got ${comm}` + why)
    const type = launchServicesType(report.pid)
    console.log(`LaunchServices lists the service as: ${type === null ? 'nothing (not an app)' : type}; the main process as: ${launchServicesType(report.mainPid)}`)
    assert.notEqual(type, 'Foreground', 'the service is a Dock app' + why)

    assert.equal(report.runAsNode, null, 'ELECTRON_RUN_AS_NODE is gone inside the service' + why)
    assert.equal(report.shellSees, '[]', 'a shell the service starts sees no ELECTRON_RUN_AS_NODE' + why)
    assert.deepEqual(report.warnings.filter((w) => /helper/i.test(w)), [], 'pm found the helper' + why)
  } finally {
    fs.writeFileSync(path.join(out, 'quit-now'), '')
    res = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60000, 'timeout'))])
    if (res === 'timeout') child.kill('SIGKILL')
  }
  assert.notEqual(res, 'timeout', 'the app did not quit\n' + output)
  assert.equal(res.code, 0, 'the app exits 0\n' + output)
})
