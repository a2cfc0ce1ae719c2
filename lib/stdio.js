'use strict'
// A piped service's stdin and stdout as Node streams (`stdio: 'pipe'`, `pm.stdio(name)`): a
// Writable and a Readable over the native pair (src/service/stdio.rs). Reading asks the native
// side for one chunk at a time (what the pipe holds, up to 1 MiB), only when the Readable
// wants more, so an app that stops reading stops pm reading (the service is slowed by its own
// pipe); writing hands one chunk
// (or one batch of them) at a time and calls back once the pipe took it, so `write()` returns
// false and 'drain' comes as with any stream, and pm never buffers for a service that does not
// read. Every process gets its own pair; the old stdout ends once its process is gone and all
// it wrote was read. An error on a stream (EPIPE after the process exited) is emitted on that
// stream, and an 'error' listener of pm's own keeps an unheard one from crashing the app.
// Node 12 syntax only (Electron 9 loads this file).

const stream = require('stream')
const native = require('./native')
const errors = require('./errors')

/** Streams by service id and pid: pm.stdio() gives the same pair for the same process. */
const open = new Map()

/** How much one turn of the event loop reads without waiting (see `streams`). */
const READ_NOW = 1024 * 1024

function ignore () {}

function ioError (e) {
  return errors.pmError(e.code, 'elife/pm: stdin: ' + e.message)
}

/** The streams of a native pair (`native.stdio()`), made once per process. */
function streams (handle) {
  const who = native.stdioWho(handle)
  const key = who.id + ':' + who.pid
  const known = open.get(key)
  if (known) return known
  // Both streams done: the pipes close now (an app that drops its streams without ending
  // them has them closed when they are garbage-collected).
  let done = 0
  function sideDone () {
    done += 1
    if (done === 2) native.stdioClose(handle)
  }

  // Reads are tried on this thread first, as libuv reads Node's own pipes; a read that finds
  // the pipe empty waits on pm's threads. After READ_NOW bytes read that way, one read waits
  // all the same, so that a service writing as fast as the app reads cannot hold the event
  // loop in one turn.
  let waiting = false
  let quota = READ_NOW
  const stdout = new stream.Readable({
    highWaterMark: 64 * 1024,
    read: function () {
      if (waiting) return
      while (quota > 0) {
        const now = native.stdioReadNow(handle)
        if (now === undefined) break
        if (now === null) return this.push(null)
        quota -= now.length
        if (!this.push(now)) return
      }
      waiting = true
      const self = this
      native.stdioRead(handle).then(function (chunk) {
        waiting = false
        quota = READ_NOW
        self.push(chunk)
      }, function (err) {
        waiting = false
        self.destroy(err)
      })
    }
  })
  stdout.on('error', ignore)
  stream.finished(stdout, function () {
    // Its process is gone: pm.stdio() of the name now gives the next one's, or null.
    open.delete(key)
    sideDone()
  })

  // What the pipe takes now is written on this thread, as libuv writes Node's own pipes; the
  // rest (or all of it, when the pipe is full) waits on pm's threads, which report any error.
  function write (chunk, cb) {
    const taken = native.stdioWriteNow(handle, chunk)
    if (taken === chunk.length) return cb()
    native.stdioWrite(handle, taken === 0 ? chunk : chunk.subarray(taken)).then(errors.settle).then(function (result) {
      if (result && result.error) cb(ioError(result.error))
      else cb()
    }, cb)
  }
  const stdin = new stream.Writable({
    highWaterMark: 64 * 1024,
    write: function (chunk, encoding, cb) {
      write(chunk, cb)
    },
    writev: function (chunks, cb) {
      write(Buffer.concat(chunks.map(function (c) { return c.chunk })), cb)
    },
    final: function (cb) {
      native.stdioEnd(handle).then(function () { cb() }, cb)
    }
  })
  stdin.on('error', ignore)
  stream.finished(stdin, sideDone)

  const pair = { stdin: stdin, stdout: stdout, id: who.id, pid: who.pid }
  open.set(key, pair)
  return pair
}

module.exports = { streams: streams }
