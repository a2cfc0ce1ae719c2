'use strict'
// The HTTP service: runs from inside app.asar on Electron's own binary (as Node), serves
// data.json, which exists only inside the archive, on a free port, and tells the main
// process which port with process.send (a 'message' event there). Node 12 syntax only.

const fs = require('fs')
const http = require('http')
const path = require('path')
const pm = require('elife/pm')

const file = path.join(__dirname, 'data.json')
// Electron's asar-aware fs reads the file straight from the archive.
const data = JSON.parse(fs.readFileSync(file, 'utf8'))
const where = file.slice(file.lastIndexOf('app.asar'))
let requests = 0

const server = http.createServer(function (req, res) {
  requests++
  const body = JSON.stringify({
    data: data,
    from: where,
    pid: process.pid,
    requests: requests,
    uptime: Math.round(process.uptime() * 1000)
  })
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
  console.log(req.method + ' ' + req.url + ' -> 200, ' + Buffer.byteLength(body) + ' bytes (request #' + requests + ')')
})

server.listen(0, '127.0.0.1', function () {
  const port = server.address().port
  console.log('serving ' + where + ' on http://127.0.0.1:' + port + '/')
  process.send({ port: port })
  // start({ waitReady: true }) resolves now, not at spawn.
  pm.ready()
})

// pm asks politely before it would kill: finish the requests in flight, then exit.
pm.onstopping(function () {
  console.log('stopping: closing the server after ' + requests + ' requests')
  return new Promise(function (resolve) { server.close(resolve) })
})
