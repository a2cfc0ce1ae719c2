'use strict'
// The flaky service: works for 1.5 to 3 s, then crashes with an uncaught error. pm restarts it
// on the schedule its restartAt option gives (see main.js), which the window shows as a
// countdown, and the window shows the crash's last lines (the 'exit' event's lastLines): the
// error and where it was thrown. Node 12 syntax.

const lifetime = 1500 + Math.floor(Math.random() * 1500)
let beats = 0

console.log('up as pid ' + process.pid + '; crashing in ' + (lifetime / 1000).toFixed(1) + ' s')
setInterval(function () {
  beats++
  console.log('working... heartbeat ' + beats)
}, 400)
setTimeout(function crash () {
  throw new Error('simulated crash after ' + lifetime + ' ms')
}, lifetime)
