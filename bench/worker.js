'use strict'
// Runs ONE (case, peer) in this fresh process and writes its figures as JSON to a file:
//   node --expose-gc bench/worker.js <case> <peer> <resultFile> <tmpDir> <optionsJSON>
const fs = require('fs')

const [caseName, peer, resultFile, dir, optsJson] = process.argv.slice(2)
const opts = JSON.parse(optsJson || '{}')
let written = false

function finish (result, code) {
  if (!written) {
    written = true
    fs.writeFileSync(resultFile, JSON.stringify(result))
  }
  process.exit(code)
}

process.on('uncaughtException', (e) => finish({ ok: false, error: 'uncaught: ' + (e && e.stack ? e.stack : e) }, 1))
process.on('unhandledRejection', (e) => finish({ ok: false, error: 'unhandled rejection: ' + (e && e.stack ? e.stack : e) }, 1))

// Harness self-test: BENCH_SELFTEST=crash:<peer> | hang:<peer> | leak:<peer> makes that peer's
// worker die, hang, or leave a process behind, to see the runner report it and clean up.
function selftest () {
  const [what, who] = (process.env.BENCH_SELFTEST || '').split(':')
  if (who !== peer) return null
  if (what === 'crash') process.kill(process.pid, 'SIGSEGV')
  if (what === 'hang') return new Promise(() => setInterval(() => {}, 1000))
  if (what === 'leak') require('child_process').spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }).unref()
  return null
}

async function main () {
  await selftest()
  const ctx = Object.assign({ dir }, opts)
  switch (caseName) {
    case 'flood': return require('./cases/flood').run(peer, ctx)
    case 'restart': return require('./cases/restart').run(peer, ctx)
    case 'idle': return require('./cases/idle').run(peer, ctx)
    case 'stdio': return require('./cases/stdio').run(peer, ctx)
    case 'messages': return require('./cases/messages').run(peer, ctx)
    case 'scale': return require('./cases/scale').run(peer, ctx)
    case 'start': case 'stop': case 'memory': return require('./cases/services')[caseName](peer, ctx)
    default: throw new Error('unknown case ' + caseName)
  }
}

main().then((r) => finish(Object.assign({ ok: true }, r), 0), (e) => finish({ ok: false, error: e && e.stack ? e.stack : String(e) }, 1))
