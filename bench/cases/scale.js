'use strict'
// Case 8 — 1,000 services at once: a tiny executable each (`sleep`), each with its own log file.
// What the main process pays: threads and file descriptors added, RSS added per service, the
// time to start them all, and stopall() (API done, every pid gone). Peers: Node's own
// child_process.spawn with each child's stdout and stderr piped into its own WriteStream, and
// elife/pm with `log` per service. Each runs in a fresh process (bench/worker.js).
//
// Also runnable alone, the "plain Node script" of issue 24: node bench/cases/scale.js pm|node [N]
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')
const u = require('../lib/util')

const labels = {
  node: 'Node child_process.spawn, stdout+stderr piped to a WriteStream per child',
  pm: 'elife/pm, `log` per service'
}

const SLEEP = fs.existsSync('/bin/sleep') ? '/bin/sleep' : '/usr/bin/sleep'

/** Threads, open fds and resident memory of this process, from /proc. */
function self () {
  const status = fs.readFileSync('/proc/self/status', 'utf8')
  const kib = (k) => Number(new RegExp('^' + k + ':\\s+(\\d+)', 'm').exec(status)[1])
  return {
    threads: fs.readdirSync('/proc/self/task').length,
    fds: fs.readdirSync('/proc/self/fd').length,
    rss: kib('VmRSS') * 1024
  }
}

function settle () {
  u.gc(); u.gc()
  return u.sleep(1000).then(() => { u.gc(); u.gc() })
}

function nodePeer (dir) {
  let kids = []
  return {
    async start (n) {
      return Promise.all(Array.from({ length: n }, (_, i) => new Promise((resolve, reject) => {
        const c = spawn(SLEEP, ['3600'], { stdio: ['ignore', 'pipe', 'pipe'] })
        const log = fs.createWriteStream(path.join(dir, `svc${i}.log`), { flags: 'a' })
        c.stdout.pipe(log, { end: false })
        c.stderr.pipe(log, { end: false })
        c.exited = new Promise((resolve) => c.on('exit', () => { log.end(); resolve() }))
        c.on('spawn', () => resolve(c.pid))
        c.on('error', reject)
        kids.push(c)
      })))
    },
    async stopAll () {
      const all = kids.map((c) => c.exited)
      for (const c of kids) c.kill()
      await Promise.all(all)
      kids = []
    }
  }
}

function pmPeer (dir) {
  const pm = u.loadPm()
  return {
    async start (n) {
      const infos = await Promise.all(Array.from({ length: n }, (_, i) =>
        pm.start({ name: 'svc' + i, script: SLEEP, args: ['3600'], log: path.join(dir, `svc${i}.log`) })))
      return infos.map((i) => i.pid)
    },
    async stopAll () { await pm.stopall() }
  }
}

async function run (peerName, ctx) {
  const n = ctx.services || 1000
  const dir = path.join(ctx.dir, 'logs')
  fs.mkdirSync(dir, { recursive: true })
  await settle()
  const before = self()
  const peer = peerName === 'pm' ? pmPeer(dir) : nodePeer(dir)
  let pids = []
  try {
    const t0 = u.now()
    pids = await peer.start(n)
    const tStart = u.now() - t0
    await settle()
    const during = self()
    const t1 = u.now()
    const gone = u.whenAllDead(pids, 60000)
    await peer.stopAll()
    const tStop = u.now() - t1
    const tGone = (await gone) - t1
    return {
      n,
      tStart,
      tStop,
      tGone,
      threadsAdded: during.threads - before.threads,
      threads: during.threads,
      fdsPerService: (during.fds - before.fds) / n,
      rssPerService: (during.rss - before.rss) / n,
      rssBefore: before.rss,
      rssDuring: during.rss
    }
  } finally {
    u.killLeftovers(pids)
  }
}

module.exports = { run, labels }

if (require.main === module) {
  const [peer = 'pm', n = '1000'] = process.argv.slice(2)
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'elife-pm-scale-'))
  run(peer, { dir, services: Number(n) }).then((r) => {
    console.log(JSON.stringify(r, null, 2))
    fs.rmSync(dir, { recursive: true, force: true })
  }, (e) => { console.error(e); process.exit(1) })
}
