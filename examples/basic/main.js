'use strict'
// The main job in plain Node: start a Node and a Python service, watch a flaky one restart on
// the backoff schedule, read their logs, and stop everything. `npm run example`.
const fs = require('fs')
const path = require('path')
const pm = require('../..') // in an app: require('elife/pm')

const logs = path.join(__dirname, 'logs')
fs.rmSync(logs, { recursive: true, force: true })

pm.on('start', (e) => console.log(`start    ${e.name} pid ${e.pid}`))
pm.on('exit', (e) => console.log(`exit     ${e.name} pid ${e.pid} code ${e.code} signal ${e.signal}${e.requested ? ' (asked)' : ''}`))
pm.on('restart', (e) => console.log(`restart  ${e.name} attempt ${e.attempt} in ${e.delay} ms`))
pm.onstopping(() => console.log('main     onstopping: the app is quitting'))

async function main () {
  await pm.start({ name: 'web', script: 'web.js', cwd: path.join(__dirname, 'services'), log: path.join(logs, 'services.log') })
  await pm.start({ name: 'py', script: 'worker.py', cwd: path.join(__dirname, 'services'), log: path.join(logs, 'services.log') })
  await pm.start({ name: 'flaky', script: path.join(__dirname, 'services', 'flaky.js'), restartAt: [0, 100, 500], log: path.join(logs, 'flaky.log') })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  console.table(pm.list().map((p) => ({ name: p.name, pid: p.pid, state: p.state, restarts: p.restarts })))
  await pm.stopall()
  console.log('\n' + fs.readFileSync(path.join(logs, 'services.log'), 'utf8'))
}
main().catch((err) => { console.error(err); process.exit(1) })
