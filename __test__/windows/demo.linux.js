'use strict'
// The demo in the Windows Electron 9.4.1 under Wine: `node scripts/demo.js --windows --smoke
// --screenshot <tmp>/demo.png` packs this package (with the Windows addon) into the demo app's
// app.asar and runs it until every service it runs on Windows has shown that it works. Checks:
// exit 0, the Python service left out with the reason, a real PNG of the window, and none of
// the services' Windows processes left. Runs in Linux node, driving Wine; fails (never skips)
// without Wine, the Windows runtimes or xvfb-run.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { tmpdir } = require('../helpers')
const { ROOT, requireWine, leftAfter } = require('./wine')

test('the demo runs in the Windows Electron: Node services work, Python is left out with the reason, nothing is left', async () => {
  requireWine()
  const out = tmpdir('windemo')
  const png = path.join(out, 'demo.png')
  const log = path.join(out, 'demo.out')
  const fd = fs.openSync(log, 'w')
  const env = Object.assign({}, process.env)
  delete env.NODE_TEST_CONTEXT
  delete env.NODE_OPTIONS
  // The demo gives up by itself after 60 s of Electron (and kills it after 120 s).
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.js'), '--windows', '--smoke', '--screenshot', png], { cwd: ROOT, env, stdio: ['ignore', fd, fd] })
  fs.closeSync(fd)
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c === null ? s : c)))
  const output = fs.readFileSync(log, 'utf8').split('\n').filter((l) => !/^ALSA|^\s*$/.test(l)).join('\n')
  assert.strictEqual(code, 0, output)
  assert.match(output, /hello: not run on Windows: pm does not support Python services there yet/)
  assert.match(output, /every service works .*: api answered with the packed data, flaky was restarted twice, chatty logged 200 lines, flaky's card shows its crash's last lines/)
  // What the window showed: flaky's crash lines (lastLines), api's logs pane from pm.logs().
  assert.match(output, /flaky crashed; its window card shows the last lines pm kept: Error: simulated crash after \d+ ms/)
  assert.match(output, /the logs pane of api, opened [\d.]+ s into the run, shows \d+ lines from pm\.logs\(\), the first: serving app\.asar\\services\\api\\data\.json on http:\/\/127\.0\.0\.1:\d+\//)
  assert.match(output, /all services stopped; bye/)
  const image = fs.readFileSync(png)
  assert.strictEqual(image.subarray(1, 4).toString(), 'PNG')
  assert.deepStrictEqual([image.readUInt32BE(16), image.readUInt32BE(20)], [1000, 640], 'the window, 1000x640')
  assert.ok(image.length > 20000, `a window with content (${image.length} bytes)`)
  const pids = output.match(/service pids: ([\d ]+)/)[1].trim().split(' ').map(Number)
  assert.ok(pids.length >= 5, output)
  assert.deepStrictEqual(leftAfter(pids, 5000, path.join(out, 'alive.out')), [], 'services left running')
})
