'use strict'
// The window's only way to the main process (contextIsolation: the page gets this object,
// never Node or ipcRenderer itself). Runs on Electron 9: Node 12 syntax only.

const electron = require('electron')
const ipcRenderer = electron.ipcRenderer

electron.contextBridge.exposeInMainWorld('pmDemo', {
  // fn(status) about four times a second, with every service's state and last log lines.
  onStatus: function (fn) {
    ipcRenderer.on('status', function (event, status) { fn(status) })
  },
  // action: 'start' | 'stop' | 'restart'; resolves with { ok, error }.
  action: function (name, action) {
    return ipcRenderer.invoke('pm:action', { name: String(name), action: String(action) })
  },
  // The service's most recent log lines from pm.logs(); resolves with { ok, lines, log, error }.
  logs: function (name) {
    return ipcRenderer.invoke('pm:logs', { name: String(name) })
  },
  // Tells the main process a status update is on screen (the smoke run's screenshot waits for it).
  rendered: function (seq) {
    ipcRenderer.send('rendered', Number(seq))
  }
})
