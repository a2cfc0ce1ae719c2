'use strict'
// The shared test helpers (../helpers.js), with process liveness the Windows way: there is no
// /proc, so a process is alive when Windows still runs it (Node's process.kill(pid, 0) opens it
// and checks that it has not exited).

const shared = require('../helpers')

function isAlive (pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return false
  }
}

async function survivors (pids, timeout = 3000) {
  const until = Date.now() + timeout
  while (Date.now() < until && pids.some(isAlive)) await shared.sleep(20)
  return pids.filter(isAlive)
}

function readText (file) {
  try {
    return require('node:fs').readFileSync(file, 'utf8')
  } catch (e) {
    return null
  }
}

/**
 * Starts a service that sends { hello: 'ready' } after registering onstopping (service.js with
 * ONSTOPPING and SEND, or a fixture that does the same) and resolves with its info once pm
 * relayed that message. Messages arrive in order, so pm has then seen the registration too: a
 * stop from then on is the polite one (a ready file would not say that).
 */
function startReady (pm, options) {
  return new Promise((resolve, reject) => {
    let info = null
    const early = []
    const onMessage = (e) => {
      if (!e.message || e.message.hello !== 'ready') return
      if (info === null) return early.push(e.pid)
      if (e.pid === info.pid) done()
    }
    const done = () => { pm.off('message', onMessage); resolve(info) }
    pm.on('message', onMessage)
    pm.start(options).then((i) => {
      info = i
      if (early.includes(i.pid)) done()
    }, (e) => { pm.off('message', onMessage); reject(e) })
  })
}

module.exports = Object.assign({}, shared, {
  isAlive,
  startReady,
  survivors,
  readText,
  procState: undefined,
  cmdline: undefined,
  describePid: (pid) => ({ pid, alive: isAlive(pid) })
})
