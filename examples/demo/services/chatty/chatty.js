'use strict'
// The chatty service: about 300 lines a second (a warning on stderr now and then), to show
// that logging costs the app nothing: every line goes to its log file, and the window shows
// the last few from pm's 'log' batches. Node 12 syntax only.

const pm = require('elife/pm')

const TOPICS = ['ingest', 'index', 'resize', 'sync', 'render', 'upload']
let n = 0

function line () {
  n++
  const topic = TOPICS[n % TOPICS.length]
  const ms = (Math.random() * 9 + 0.5).toFixed(1)
  if (n % 97 === 0) {
    console.error('warn ' + topic + ' job ' + n + ' slow: ' + (ms * 20).toFixed(0) + ' ms (retrying)')
  } else {
    console.log(topic + ' job ' + n + ' done in ' + ms + ' ms, queue ' + (n * 7919 % 64))
  }
}

// Three lines every 10 ms.
const timer = setInterval(function () { line(); line(); line() }, 10)

pm.onstopping(function () {
  clearInterval(timer)
  console.log('stopping after ' + n + ' lines')
})
