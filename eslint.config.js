'use strict'
// ESLint over every file that Electron 9 (Node 12.14, Chromium 83) may load: it must parse as
// ECMAScript 2019 (no optional chaining, nullish coalescing, class fields or top-level await) and must not require
// `node:`-prefixed modules, which Node 12 does not know. `npm test` runs it (`npm run lint`).

const js = require('@eslint/js')
const globals = require('globals')

const NODE_PREFIX = {
  selector: "CallExpression[callee.name='require'] > Literal[value=/^node:/]",
  message: 'Node 12 (Electron 9) has no node: module names'
}

module.exports = [
  {
    files: [
      'index.js',
      'pm.js',
      'lib/**/*.js',
      'scripts/electron-path.js',
      'examples/**/*.js',
      '__test__/fixtures/**/*.js'
    ],
    languageOptions: {
      ecmaVersion: 2019,
      sourceType: 'commonjs',
      globals: Object.assign({}, globals.node)
    },
    rules: Object.assign({}, js.configs.recommended.rules, {
      'no-restricted-syntax': ['error', NODE_PREFIX],
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }]
    })
  },
  {
    files: ['examples/demo/window/**/*.js', 'examples/demo/preload.js'],
    languageOptions: { globals: Object.assign({}, globals.browser, globals.node) }
  }
]
