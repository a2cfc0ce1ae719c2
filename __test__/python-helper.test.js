'use strict'
// The Python helper's own unit tests (python/tests): libuv's IPC framing on Windows and the
// helper's Windows channel on a fake _winapi, run by the Linux python3. They fail, never skip,
// when python3 is missing.

const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const PYTHON = path.join(__dirname, '..', 'python')

test("the Python helper's unit tests pass (python3 -m unittest)", () => {
  const env = Object.assign({}, process.env)
  // Not a service of some pm: the helper must not take a channel from the test runner.
  delete env.NODE_CHANNEL_FD
  delete env.ELIFE_PM_PARENT
  const r = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
    cwd: PYTHON, env, encoding: 'utf8', timeout: 120000
  })
  assert.ifError(r.error) // python3 missing (ENOENT) or timed out
  const out = r.stdout + r.stderr
  assert.strictEqual(r.status, 0, out)
  const ran = /^Ran (\d+) tests? /m.exec(out)
  assert.ok(ran && Number(ran[1]) >= 10, 'expected the whole suite to run:\n' + out)
  assert.match(out, /^OK$/m, out)
})
