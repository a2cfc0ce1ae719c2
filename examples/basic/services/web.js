'use strict'
const http = require('http')
const pm = require('../../..') // in an app: require('elife/pm')
const server = http.createServer((req, res) => res.end('hello\n')).listen(0, '127.0.0.1', () => {
  console.log('listening on port', server.address().port)
})
pm.onstopping(() => new Promise((resolve) => {
  console.log('closing the server')
  server.close(resolve)
}))
