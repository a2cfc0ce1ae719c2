'use strict'
// The flaky service: works for 1.5 to 3 s, then crashes. pm restarts it on the schedule its
// restartAt option gives (see main.js), which the window shows as a countdown. Node 12 syntax.

const lifetime = 1500 + Math.floor(Math.random() * 1500)
let beats = 0

console.log('up as pid ' + process.pid + '; crashing in ' + (lifetime / 1000).toFixed(1) + ' s')
setInterval(function () {
  beats++
  console.log('working... heartbeat ' + beats)
}, 400)
setTimeout(function () {
  console.error('simulated crash after ' + lifetime + ' ms: exit code 1')
  process.exit(1)
}, lifetime)
