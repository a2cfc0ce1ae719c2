'use strict'
// What the JS side shares with the Rust core and the Python helper, defined once here for JS
// (src/contract.rs is the Rust side's; __test__/contract.test.js checks that all agree).
// Node 12 syntax only (Electron 9 loads this file).

module.exports = {
  /** The `cmd` of pm's own messages on Node's IPC channel. */
  CONTROL_CMD: 'NODE_ELIFE_PM',
  /** Set in every service to the main process's pid (who its parent is). */
  PARENT_ENV: 'ELIFE_PM_PARENT',
  /** What every call says where pm cannot run. */
  NOT_MAIN_THREAD: 'elife/pm runs in the main thread only (Electron\'s main process or ' +
    'Node\'s main thread); it cannot be used from a worker thread or another context',
  /** The main-process API. */
  API: ['start', 'stop', 'restart', 'restartall', 'stopall', 'list', 'send', 'ready', 'on', 'off', 'onstopping', 'configure', 'stdio', 'logs'],
  /** The events of on() and off(). */
  EVENTS: ['start', 'ready', 'exit', 'restart', 'stop', 'error', 'message', 'log']
}
