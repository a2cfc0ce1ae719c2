'use strict'
// Crashes shortly after it starts, to show the backoff schedule.
console.log('flaky: up, crashing in 50 ms')
setTimeout(() => { throw new Error('flaky crashed') }, 50)
