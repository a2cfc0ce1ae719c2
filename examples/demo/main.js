'use strict'
// The demo app's main process: it embeds elife/pm as any app would (`require('elife/pm')`),
// starts four services, and shows them live in a status window.
//
//   api     Node, inside app.asar: serves data packed in the archive over HTTP
//   hello   Python, from app.asar.unpacked: says hello (stdout and a 'message' event); not
//           run on Windows, where pm does not support Python services yet (the window says so)
//   flaky   Node: crashes every few seconds (an uncaught error), restarted on a short backoff
//           schedule; the window shows the crash's last lines (the 'exit' event's lastLines)
//   chatty  Node: ~300 log lines a second
//
// Each card's Logs button opens a pane that fills from pm.logs() (the service's log file, read
// back across rotations) and follows it while open.
//
// Arguments (after the app path):
//   --smoke              run until every service has shown it works (and the window: flaky's
//                        crash lines, and api's logs pane opened late, with its first line),
//                        then quit (exit 0); any failure, or 60 s without success, exits 1
//                        with the reason
//   --screenshot FILE    with --smoke: save the window as a PNG before quitting
//
// $ELIFE_DEMO_USER_DATA, when set, replaces the userData directory (scripts/demo.js uses it to
// keep smoke runs out of the home directory). Everything here runs on Electron 9 (Node 12).

const electron = require('electron')
const fs = require('fs')
const http = require('http')
const path = require('path')

const app = electron.app
const BrowserWindow = electron.BrowserWindow
const Menu = electron.Menu
const ipcMain = electron.ipcMain

const SMOKE_TIMEOUT = 60000
const TICK = 250
const LAST_LINES = 3
// Lines the logs pane asks pm.logs() for.
const PANE_LINES = 500

// ---- arguments and failure ------------------------------------------------------------------

function parseArgs (argv) {
  const out = { smoke: false, screenshot: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--smoke') out.smoke = true
    else if (a === '--screenshot' && i + 1 < argv.length) out.screenshot = argv[++i]
    else if (a.indexOf('--screenshot=') === 0) out.screenshot = a.slice('--screenshot='.length)
  }
  if (out.screenshot) out.screenshot = path.resolve(out.screenshot)
  return out
}

const args = parseArgs(process.argv.slice(1))
const startedAt = Date.now()
let failed = false

function say (msg) {
  console.log('demo: ' + msg)
}

// Any failure ends the app at once with the reason; app.exit() skips 'will-quit', and pm then
// stops every service synchronously on the way out.
function fail (reason) {
  if (failed) return
  failed = true
  console.error('demo: FAILED: ' + reason)
  app.exit(1)
}

process.on('uncaughtException', function (err) {
  fail('uncaught exception in the main process: ' + (err && err.stack ? err.stack : err))
})
process.on('unhandledRejection', function (err) {
  fail('unhandled rejection in the main process: ' + (err && err.stack ? err.stack : err))
})

if (process.env.ELIFE_DEMO_USER_DATA) app.setPath('userData', process.env.ELIFE_DEMO_USER_DATA)

let pm = null
let pmVersion = '?'
try {
  pm = require('elife/pm')
  pmVersion = require('elife/package.json').version
} catch (err) {
  fail('cannot load elife/pm from the installed package: ' + (err && err.stack ? err.stack : err))
}

// ---- the services -----------------------------------------------------------------------------

const SERVICES_DIR = path.join(__dirname, 'services')
// Why the Python service is left out, where it is.
const NO_PYTHON = process.platform === 'win32'
  ? 'not run on Windows: pm does not support Python services there yet (none could be tested)'
  : null
const SERVICES = [
  {
    name: 'api',
    kind: 'node',
    about: 'HTTP, serves data packed in the archive' + (NO_PYTHON ? '' : '; starts once hello is ready'),
    options: { script: path.join(SERVICES_DIR, 'api', 'server.js'), waitReady: true, dependsOn: NO_PYTHON ? [] : ['hello'] }
  },
  {
    name: 'hello',
    kind: 'python',
    about: 'says hello over IPC every 1.5 s; ready once it said the first',
    skip: NO_PYTHON,
    options: { script: path.join(SERVICES_DIR, 'hello', 'hello.py'), waitReady: true }
  },
  {
    name: 'flaky',
    kind: 'node',
    about: 'crashes every few seconds (an uncaught error)',
    options: { script: path.join(SERVICES_DIR, 'flaky', 'flaky.js'), restartAt: [0, 500, 1000, 2000] }
  },
  {
    name: 'chatty',
    kind: 'node',
    about: '~300 log lines a second',
    options: { script: path.join(SERVICES_DIR, 'chatty', 'chatty.js') }
  }
]

const byName = {}
SERVICES.forEach(function (s) {
  byName[s.name] = s
  s.lines = []
  s.lineCount = 0
  s.rate = 0
  s.rateSamples = []
  s.starts = 0
  s.pids = []
  s.lastExit = null
  // The last crash (an exit pm did not ask for) and its last lines, from the 'exit' event.
  s.crash = null
  s.error = null
  s.note = s.skip || ''
  s.pending = null
})

let logsDir = null
let droppedTotal = 0
const allPids = []

// The same packed file the API service serves, read here to check its answer.
const packedData = fs.readFileSync(path.join(SERVICES_DIR, 'api', 'data.json'), 'utf8')

function startService (s) {
  const options = Object.assign({ name: s.name, log: path.join(logsDir, s.name + '.log') }, s.options)
  s.error = null
  return pm.start(options)
}

function where (script) {
  const i = script.lastIndexOf('app.asar')
  return i >= 0 ? script.slice(i) : script
}

// ---- what pm tells us ---------------------------------------------------------------------

const api = { port: null, answer: null, status: null, ms: null, error: null, at: null }
let helloCount = 0

function listen () {
  pm.on('start', function (e) {
    const s = byName[e.name]
    if (!s) return
    s.starts++
    s.pids.push(e.pid)
    allPids.push(e.pid)
  })
  pm.on('exit', function (e) {
    const s = byName[e.name]
    if (!s) return
    s.lastExit = { pid: e.pid, code: e.code, signal: e.signal, requested: e.requested, at: Date.now() }
    if (!e.requested) s.crash = { pid: e.pid, code: e.code, signal: e.signal, at: Date.now(), lastLines: e.lastLines }
    if (args.smoke && !e.requested && e.name !== 'flaky' && !quitting) {
      fail('service ' + e.name + ' (pid ' + e.pid + ') exited on its own: code ' + e.code + ', signal ' + e.signal + lastLinesText(e.lastLines))
    }
  })
  pm.on('error', function (e) {
    const s = byName[e.name]
    if (s) s.error = e.message
    if (args.smoke) fail('service ' + e.name + ' errored: ' + e.message + (s ? lastLines(s) : ''))
    else console.error('demo: service ' + e.name + ' errored: ' + e.message)
  })
  pm.on('message', function (e) {
    const m = e.message
    if (e.name === 'api' && m && typeof m.port === 'number') {
      api.port = m.port
      api.answer = null
      byName.api.note = 'listening on 127.0.0.1:' + m.port
      fetchApi()
    } else if (e.name === 'hello' && m && typeof m.hello === 'number') {
      helloCount++
      byName.hello.note = 'message #' + m.hello + ' from Python ' + m.python
    }
  })
  pm.on('log', function (batch) {
    batch.lines.forEach(function (line) {
      const s = byName[line.name]
      if (!s) return
      s.lineCount++
      s.lines.push({ time: line.time, stream: line.stream, text: line.text })
      if (s.lines.length > LAST_LINES) s.lines.shift()
    })
    // Lines the main thread did not keep up with (the log files have them all).
    droppedTotal += batch.dropped
  })
}

function lastLines (s) {
  return lastLinesText(s.lines)
}

function lastLinesText (lines) {
  if (!lines || !lines.length) return ''
  return '\n  last lines:\n' + lines.map(function (l) { return '    ' + l.stream + ': ' + l.text }).join('\n')
}

// The line of a crash's last lines that says what went wrong: Node's `Error: …` (or
// `TypeError: …`), Python's `ValueError: …`; else the last line. renderer.js has the same rule.
function errorLine (lastLines) {
  for (let i = lastLines.length - 1; i >= 0; i--) {
    if (/^[\w.]*(Error|Exception)\b/.test(lastLines[i].text)) return lastLines[i].text
  }
  return lastLines.length ? lastLines[lastLines.length - 1].text : ''
}

// The main process asks the API service for its data, like the rest of the app would.
let fetching = false
function fetchApi () {
  if (!api.port || fetching) return
  fetching = true
  const port = api.port
  const t0 = Date.now()
  const req = http.get({ host: '127.0.0.1', port: port, path: '/', timeout: 2000 }, function (res) {
    let body = ''
    res.setEncoding('utf8')
    res.on('data', function (d) { body += d })
    res.on('end', function () {
      fetching = false
      if (port !== api.port) return
      try {
        api.answer = JSON.parse(body)
        api.error = null
      } catch (err) {
        api.answer = null
        api.error = 'not JSON: ' + body.slice(0, 80)
      }
      api.status = res.statusCode
      api.ms = Date.now() - t0
      api.at = Date.now()
    })
  })
  req.on('timeout', function () { req.destroy(new Error('no answer within 2 s')) })
  req.on('error', function (err) {
    fetching = false
    if (port !== api.port) return
    api.answer = null
    api.status = null
    api.error = err.message
    api.at = Date.now()
  })
}

// ---- the window ---------------------------------------------------------------------------

let win = null
let seq = 0
let rendered = 0
let renderedSeq = -1

function createWindow () {
  Menu.setApplicationMenu(null)
  win = new BrowserWindow({
    width: 1000,
    height: 640,
    minWidth: 820,
    minHeight: 480,
    useContentSize: true,
    backgroundColor: '#0e1117',
    title: 'elife/pm demo',
    show: true,
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true,
      nodeIntegration: false,
      enableRemoteModule: false,
      worldSafeExecuteJavaScript: true,
      spellcheck: false
    }
  })
  win.loadFile(path.join(__dirname, 'window', 'index.html'))
  win.webContents.on('render-process-gone', function (event, details) {
    if (args.smoke) fail('the window\'s renderer is gone: ' + (details && details.reason))
  })
  win.webContents.on('did-fail-load', function (event, code, description) {
    if (args.smoke) fail('the window failed to load: ' + description)
  })
  // The window's errors and warnings belong in the app's output.
  win.webContents.on('console-message', function (event, level, message, line, source) {
    if (level < 2) return
    const where = ' (' + path.basename(String(source)) + ':' + line + ')'
    if (level >= 3 && args.smoke) fail('error in the window: ' + message + where)
    else console.error('demo: window: ' + message + where)
  })
  win.on('closed', function () { win = null })
}

function rate (s, now) {
  s.rateSamples.push({ t: now, n: s.lineCount })
  while (s.rateSamples.length > 2 && now - s.rateSamples[0].t > 2000) s.rateSamples.shift()
  const first = s.rateSamples[0]
  s.rate = now - first.t > 0 ? Math.round((s.lineCount - first.n) * 1000 / (now - first.t)) : 0
}

function snapshot () {
  const now = Date.now()
  const running = {}
  pm.list().forEach(function (p) {
    if (p.name && !running[p.name]) running[p.name] = p
  })
  return {
    seq: ++seq,
    now: now,
    versions: {
      app: app.getVersion(),
      pm: pmVersion,
      electron: process.versions.electron,
      node: process.versions.node,
      chrome: process.versions.chrome.split('.')[0]
    },
    logsDir: logsDir,
    dropped: droppedTotal,
    smoke: args.smoke,
    api: {
      port: api.port,
      status: api.status,
      ms: api.ms,
      error: api.error,
      at: api.at,
      answer: api.answer,
      matchesPacked: answerMatchesPacked()
    },
    services: SERVICES.map(function (s) {
      const p = running[s.name] || null
      rate(s, now)
      return {
        name: s.name,
        kind: s.kind,
        about: s.about,
        where: where(p ? p.script : s.options.script),
        restartAt: s.options.restartAt || null,
        state: p ? p.state : s.skip ? 'skipped' : 'stopped',
        ready: p ? p.ready : false,
        dependsOn: s.options.dependsOn || [],
        pid: p ? p.pid : null,
        restarts: p ? p.restarts : 0,
        startedAt: p ? p.startedAt : null,
        nextStartAt: p ? p.nextStartAt : null,
        lastExit: s.lastExit,
        crash: s.crash,
        // pm.list() is read on the spot, events arrive a moment later: has the 'exit' event of
        // the exit list() reports arrived yet?
        exitHeard: !(p && p.lastExit) || Boolean(s.lastExit && s.lastExit.pid === p.lastExit.pid),
        error: (p && p.error) || s.error,
        note: s.note,
        lines: s.lines,
        lineCount: s.lineCount,
        rate: s.rate,
        pending: s.pending
      }
    })
  }
}

function push () {
  if (!win || win.isDestroyed() || win.webContents.isLoading()) return null
  const snap = snapshot()
  win.webContents.send('status', snap)
  return snap
}

ipcMain.on('rendered', function (event, n) {
  if (typeof n === 'number' && n > renderedSeq) {
    renderedSeq = n
    rendered++
  }
})

ipcMain.handle('pm:action', function (event, msg) {
  const s = msg && byName[msg.name]
  const action = msg && msg.action
  if (!s || ['start', 'stop', 'restart'].indexOf(action) < 0) {
    return Promise.resolve({ ok: false, error: 'unknown service or action' })
  }
  if (s.skip) return Promise.resolve({ ok: false, error: s.skip })
  if (s.pending) return Promise.resolve({ ok: false, error: 'busy' })
  s.pending = action
  // A stopped service has left pm.list(): 'restart' then means start it again.
  const managed = pm.list().some(function (p) { return p.name === s.name })
  let done
  if (action === 'stop') done = pm.stop(s.name)
  else if (managed) done = action === 'restart' ? pm.restart(s.name) : Promise.resolve()
  else done = startService(s)
  say(s.name + ': ' + (action === 'stop' || managed ? action : 'start') + ' (from the window)')
  return done.then(function () {
    s.pending = null
    return { ok: true }
  }, function (err) {
    s.pending = null
    s.error = err.message
    return { ok: false, error: err.message }
  })
})

// The logs pane: the most recent lines of a service, from its log file.
ipcMain.handle('pm:logs', function (event, msg) {
  const s = msg && byName[msg.name]
  if (!s) return Promise.resolve({ ok: false, error: 'unknown service' })
  if (s.skip) return Promise.resolve({ ok: false, error: s.skip })
  return pm.logs(s.name, { lines: PANE_LINES }).then(function (lines) {
    return { ok: true, lines: lines, log: path.join(logsDir, s.name + '.log') }
  }, function (err) {
    return { ok: false, error: err.message }
  })
})

// ---- smoke mode: prove every service works, take the picture, quit --------------------------

let quitting = false
let phase = 'checking'
let framingSince = 0
let targetSeq = 0
// What the window shows, read from its DOM (smoke checks look at the window, not at our state).
let dom = { crashShown: false, reading: false }
let pane = { openedAt: 0, lines: null }

function readDom (code) {
  return win.webContents.executeJavaScript(code, false)
}

// Whether flaky's card shows the error line of its last crash (from the 'exit' event's lastLines).
function checkCrashShown () {
  const crash = byName.flaky.crash
  if (dom.crashShown || dom.reading || !crash || !win) return
  const want = errorLine(crash.lastLines)
  dom.reading = true
  readDom('(function () { var c = document.querySelector(\'.card[data-name="flaky"]\'); return c ? c.textContent : \'\' })()').then(function (text) {
    dom.reading = false
    if (want && text.indexOf(want) >= 0) {
      dom.crashShown = true
      say('flaky crashed; its window card shows the last lines pm kept: ' + want)
    }
  }, function (err) {
    fail('reading the window: ' + (err && err.stack ? err.stack : err))
  })
}

function answerMatchesPacked () {
  const answer = api.answer
  return Boolean(answer && answer.data && JSON.stringify(answer.data) === JSON.stringify(JSON.parse(packedData)))
}

function checks () {
  const c = {
    'api answered with the packed data': answerMatchesPacked(),
    'hello said hello from Python': helloCount >= 1,
    'flaky was restarted twice': byName.flaky.starts >= 3,
    'chatty logged 200 lines': byName.chatty.lineCount >= 200 && fileSize(path.join(logsDir, 'chatty.log')) > 0,
    "flaky's card shows its crash's last lines": dom.crashShown
  }
  if (byName.hello.skip) delete c['hello said hello from Python']
  return c
}

function fileSize (file) {
  try {
    return fs.statSync(file).size
  } catch (e) {
    return 0
  }
}

function smokeTick (snap) {
  if (failed || quitting) return
  if (Date.now() - startedAt > SMOKE_TIMEOUT) {
    const c = checks()
    const missing = Object.keys(c).filter(function (k) { return !c[k] })
    if (!missing.length) missing.push('the window to show the services (screenshot: ' + phase + ', ' + rendered + ' updates rendered)')
    fail('no success within ' + SMOKE_TIMEOUT / 1000 + ' s; still waiting for: ' + missing.join('; ') +
      (api.error ? ' (api: ' + api.error + ')' : ''))
    return
  }
  if (phase === 'checking') {
    checkCrashShown()
    const c = checks()
    if (Object.keys(c).every(function (k) { return c[k] })) {
      say('every service works (' + ((Date.now() - startedAt) / 1000).toFixed(1) + ' s): ' + Object.keys(c).join(', '))
      phase = 'pane'
      openPane()
    }
  }
  if (phase === 'pane-checked') {
    if (!args.screenshot) return finish()
    phase = 'framing'
    framingSince = Date.now()
  }
  // For the picture, wait (a little) for a moment when flaky is counting down to its restart,
  // with its crash already in the log.
  if (phase === 'framing' && snap && snap.seq > 2) {
    const flaky = snap.services.filter(function (s) { return s.name === 'flaky' })[0]
    const lastLine = flaky.lines[flaky.lines.length - 1]
    const counting = flaky.state === 'backoff' && flaky.nextStartAt - snap.now > 450 &&
      flaky.exitHeard && lastLine && lastLine.stream === 'err'
    if (counting || Date.now() - framingSince > 6000) {
      targetSeq = snap.seq
      phase = 'capturing'
    }
  }
  if (phase === 'capturing' && renderedSeq >= targetSeq && rendered >= 2) {
    phase = 'captured'
    capture().then(finish, function (err) { fail('screenshot: ' + (err && err.stack ? err.stack : err)) })
  }
}

// Opens api's logs pane now, long after its first line was printed (the card shows only the
// last three), and checks that the pane fills from pm.logs() with that first line; then closes
// it again.
function openPane () {
  pane.openedAt = Date.now()
  readDom('document.querySelector(\'.card[data-name="api"] .btn-logs\').click()').then(readPane, function (err) {
    fail('opening the logs pane: ' + (err && err.stack ? err.stack : err))
  })
}

function readPane () {
  if (failed || quitting) return
  readDom('(function () { var p = document.getElementById(\'logs-pane\'); return { open: !p.hidden, name: p.getAttribute(\'data-name\'), ' +
    'lines: Array.prototype.map.call(p.querySelectorAll(\'.line .text\'), function (e) { return e.textContent }) } })()').then(function (shown) {
    // (On Windows the path has backslashes.)
    const first = /^serving app\.asar[\\/]services[\\/]api[\\/]data\.json on http:\/\/127\.0\.0\.1:\d+\/$/
    if (shown.open && shown.name === 'api' && shown.lines.length > LAST_LINES && first.test(shown.lines[0])) {
      say('the logs pane of api, opened ' + ((pane.openedAt - startedAt) / 1000).toFixed(1) + ' s into the run, shows ' +
        shown.lines.length + ' lines from pm.logs(), the first: ' + shown.lines[0])
      return readDom('document.getElementById(\'logs-close\').click()').then(function () { phase = 'pane-checked' })
    }
    if (Date.now() - pane.openedAt > 10000) return fail('the logs pane of api did not fill from pm.logs() within 10 s: ' + JSON.stringify(shown).slice(0, 400))
    setTimeout(readPane, 100)
  }, function (err) {
    fail('reading the logs pane: ' + (err && err.stack ? err.stack : err))
  })
}

function capture () {
  return win.webContents.capturePage().then(function (image) {
    if (image.isEmpty()) throw new Error('capturePage() gave an empty image')
    const size = image.getSize()
    fs.mkdirSync(path.dirname(args.screenshot), { recursive: true })
    fs.writeFileSync(args.screenshot, image.toPNG())
    say('screenshot ' + args.screenshot + ' (' + size.width + 'x' + size.height + ')')
  })
}

function finish () {
  if (failed || quitting) return
  quitting = true
  say((byName.hello.skip ? '' : 'hello said hello ' + helloCount + ' times; ') + 'flaky started ' + byName.flaky.starts + ' times; chatty logged ' + byName.chatty.lineCount + ' lines')
  say('service pids: ' + allPids.join(' '))
  say('quitting: pm stops every service')
  app.quit()
}

// ---- startup ------------------------------------------------------------------------------

function main () {
  logsDir = path.join(app.getPath('userData'), 'logs')
  fs.mkdirSync(logsDir, { recursive: true })
  listen()
  say('elife/pm ' + pmVersion + ' on Electron ' + process.versions.electron + (args.smoke ? ', smoke run' : '') + '; logs in ' + logsDir)
  createWindow()
  if (NO_PYTHON) say('hello: ' + NO_PYTHON)
  // Dependencies first: a service started before the one it depends on is reported (an
  // 'error' event) as waiting for a service pm does not run.
  const waits = function (s) { return Boolean(s.options.dependsOn && s.options.dependsOn.length) }
  const run = SERVICES.filter(function (s) { return !s.skip })
  const order = run.filter(function (s) { return !waits(s) }).concat(run.filter(waits))
  return Promise.all(order.map(startService)).then(function (infos) {
    say('started ' + infos.map(function (p) { return p.name + ' (pid ' + p.pid + ')' }).join(', '))
    setInterval(function () {
      const snap = push()
      if (args.smoke) smokeTick(snap)
    }, TICK)
    setInterval(fetchApi, 2000)
  }, function (err) {
    fail('a service did not start: ' + err.message)
  })
}

if (pm) {
  if (args.smoke) {
    setTimeout(function () {
      if (!quitting) fail('no success within ' + SMOKE_TIMEOUT / 1000 + ' s (the app did not get going)')
    }, SMOKE_TIMEOUT + 5000).unref()
  }
  app.whenReady().then(main)
  app.on('window-all-closed', function () {
    quitting = true
    app.quit()
  })
  app.on('quit', function (event, code) {
    const left = pm.list().length
    if (left) console.error('demo: ' + left + ' services still listed at quit')
    else say('all services stopped; bye' + (args.smoke ? ' (' + ((Date.now() - startedAt) / 1000).toFixed(1) + ' s)' : ''))
  })
}
