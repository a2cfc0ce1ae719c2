'use strict'
// The three ways of running N services, behind one interface, for cases 2, 3 and 5:
//   start(specs)  → resolves once the peer's API says all are spawned; returns their pids
//   stopAll()     → the peer's natural "stop everything"; resolves when the API says done
const { spawn } = require('child_process')
const u = require('./util')

const labels = {
  node: 'Node child_process.spawn',
  pm2: '@elife/pm2 3.6.1',
  pm: 'elife/pm'
}

function nodePeer () {
  let kids = []
  return {
    errors: [],
    async start (specs) {
      const spawned = specs.map((s) => new Promise((resolve, reject) => {
        const c = spawn(process.execPath, [s.script].concat(s.args), { stdio: ['ignore', 'pipe', 'pipe'] })
        c.stdout.on('data', () => {})
        c.stderr.on('data', () => {})
        c.exited = new Promise((res) => c.on('exit', res))
        c.on('spawn', () => resolve(c.pid))
        c.on('error', reject)
        kids.push(c)
      }))
      return Promise.all(spawned)
    },
    async stopAll () {
      const all = kids.map((c) => c.exitCode !== null || c.signalCode !== null ? null : c.exited)
      for (const c of kids) c.kill()
      await Promise.all(all)
      kids = []
    }
  }
}

function pm2Peer () {
  const pm2 = u.loadPm2()
  let pis = []
  const errors = []
  return {
    errors,
    async start (specs) {
      return Promise.all(specs.map((s) => new Promise((resolve, reject) => {
        pm2.start({ name: s.name, script: s.script, args: s.args }, (err, pi) => {
          if (err) return reject(new Error('pm2.start: ' + err))
          pi.on('error', (e) => errors.push(String(e)))
          pi.exited = new Promise((res) => pi.once('exit', res))
          pis.push(pi)
          resolve(pi.child.pid)
        })
      })))
    },
    // pm2.stopAll() returns at once with nothing to wait on; "done" = every process's 'exit' event.
    async stopAll () {
      const all = pis.map((pi) => pi.child ? pi.exited : null)
      pm2.stopAll()
      await Promise.all(all)
      pis = []
    }
  }
}

function pmPeer () {
  const pm = u.loadPm()
  const errors = []
  pm.on('error', (e) => errors.push(`${e.name}: ${e.message}`))
  return {
    errors,
    async start (specs) {
      // Anything else in a spec (e.g. maxMemory) is a pm option.
      const infos = await Promise.all(specs.map((s) => pm.start(Object.assign({}, s))))
      return infos.map((i) => i.pid)
    },
    async stopAll () {
      await pm.stopall()
    }
  }
}

function make (name) {
  if (name === 'node') return nodePeer()
  if (name === 'pm2') return pm2Peer()
  if (name === 'pm') return pmPeer()
  throw new Error('unknown peer ' + name)
}

module.exports = { labels, make }
