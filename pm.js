'use strict'
// `require('elife/pm')` on Node 12.14 (Electron 9), which predates `exports` maps and resolves
// the subpath as this file.
module.exports = require('./index.js')
