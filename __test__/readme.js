'use strict'
// The README's fenced code blocks, for the suites that run them (readme.test.js, python.test.js).
//
// The convention, for every ```js and ```python block:
// - its first line names the file it is: `// main.js` (an Electron main process: one app each),
//   `// services/db/index.js`, `# services/worker.py` (written to that path in each app; what
//   follows the name on that line is a comment);
// - or it is a fragment not meant to run, marked by an HTML comment on the line before the
//   fence: `<!-- readme-test: skip (why) -->`. Keep these few.

const fs = require('node:fs')
const path = require('node:path')

const README = path.join(__dirname, '..', 'README.md')
const RUN_LANGS = { js: 'js', javascript: 'js', python: 'python', py: 'python' }
const SKIP = /^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->$/

/** The file a block names on its first line, or null. */
function nameOf (lang, firstLine) {
  const m = lang === 'python'
    ? /^#\s*([\w./-]+\.py)(?=[\s,:]|$)/.exec(firstLine)
    : /^\/\/\s*([\w./-]+\.(?:js|cjs|mjs))(?=[\s,:]|$)/.exec(firstLine)
  return m ? m[1] : null
}

/**
 * Every fenced block: { line (1-based, of the opening fence), lang (as written), kind ('js',
 * 'python' or null for other languages), code (without the fence's indentation), name, skip }.
 */
function readmeBlocks (text = fs.readFileSync(README, 'utf8')) {
  const lines = text.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$/.exec(lines[i])
    if (!open) continue
    const [, indent, fence, lang] = open
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
      if (close.test(lines[j])) break
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }
    let k = i - 1
    while (k >= 0 && lines[k].trim() === '') k--
    const marker = k >= 0 ? SKIP.exec(lines[k].trim()) : null
    const kind = RUN_LANGS[lang.toLowerCase()] || null
    const code = body.join('\n') + '\n'
    blocks.push({
      line: i + 1,
      lang,
      kind,
      code,
      name: kind ? nameOf(kind, body[0] || '') : null,
      skip: marker ? marker[1] : null
    })
    i = j
  }
  return blocks
}

/** The one block that names `name` (e.g. 'services/worker.py'); throws when not exactly one. */
function readmeBlock (name) {
  const found = readmeBlocks().filter((b) => b.name === name && !b.skip)
  if (found.length !== 1) throw new Error(`README.md has ${found.length} blocks named ${name}, expected one`)
  return found[0]
}

module.exports = { README, readmeBlocks, readmeBlock }
