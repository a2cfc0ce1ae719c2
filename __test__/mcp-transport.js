'use strict'
// MCP's stdio transport over pm.stdio(): newline-delimited JSON-RPC, one message per line each
// way, as @modelcontextprotocol/sdk's Transport interface wants it (start, send, close and the
// onmessage / onclose / onerror callbacks the Client sets). Shared by mcp.test.js and
// windows/mcp.win.js; the README's MCP example is this class.

const readline = require('node:readline')

class PmTransport {
  /** `io`: a pair from pm.stdio(name), { stdin, stdout }. */
  constructor (io) {
    this.io = io
  }

  async start () {
    readline.createInterface({ input: this.io.stdout, crlfDelay: Infinity })
      .on('line', (line) => {
        let message
        try {
          message = JSON.parse(line)
        } catch (e) {
          if (this.onerror) this.onerror(e)
          return
        }
        if (this.onmessage) this.onmessage(message)
      })
      // The process is gone and everything it wrote was read.
      .on('close', () => { if (this.onclose) this.onclose() })
    this.io.stdin.on('error', (e) => { if (this.onerror) this.onerror(e) })
  }

  /** Resolves once pm handed the line to the server's stdin pipe. */
  send (message) {
    return new Promise((resolve, reject) => {
      this.io.stdin.write(JSON.stringify(message) + '\n', (e) => e ? reject(e) : resolve())
    })
  }

  async close () {
    this.io.stdin.end()
  }
}

module.exports = { PmTransport }
