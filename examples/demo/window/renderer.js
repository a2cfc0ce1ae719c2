'use strict'
// The status window: one card per service, redrawn from the main process's status updates
// (about 4 a second), and a logs pane that fills from pm.logs() when a card's Logs button opens
// it. No Node here: window.pmDemo comes from preload.js. Chromium 83 syntax.

;(function () {
  const demo = window.pmDemo
  const servicesEl = document.getElementById('services')
  const cards = {}
  let last = null

  // ---- formatting ---------------------------------------------------------------------------

  function el (tag, className, text) {
    const e = document.createElement(tag)
    if (className) e.className = className
    if (text !== undefined) e.textContent = text
    return e
  }

  function set (e, text) {
    text = String(text)
    if (e.textContent !== text) e.textContent = text
  }

  function duration (ms) {
    if (ms < 0) ms = 0
    const s = ms / 1000
    if (s < 10) return s.toFixed(1) + ' s'
    if (s < 60) return Math.floor(s) + ' s'
    const m = Math.floor(s / 60)
    if (m < 60) return m + 'm ' + pad(Math.floor(s % 60)) + 's'
    return Math.floor(m / 60) + 'h ' + pad(m % 60) + 'm'
  }

  function pad (n, w) {
    n = String(n)
    while (n.length < (w || 2)) n = '0' + n
    return n
  }

  function clock (t) {
    const d = new Date(t)
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3)
  }

  function thousands (n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  }

  function exitText (e) {
    if (!e) return ''
    return e.signal ? e.signal : 'code ' + e.code
  }

  // The line of a crash's last lines that says what went wrong: Node's `Error: …`, Python's
  // `ValueError: …`; else the last line (main.js has the same rule).
  function errorIndex (lines) {
    for (let i = lines.length - 1; i >= 0; i--) {
      if (/^[\w.]*(Error|Exception)\b/.test(lines[i].text)) return i
    }
    return lines.length - 1
  }

  // ---- one card per service -----------------------------------------------------------------

  function stat (label) {
    const box = el('div', 'stat')
    box.appendChild(el('div', 'label', label))
    const value = el('div', 'value mono', '—')
    box.appendChild(value)
    return { box: box, value: value }
  }

  function button (text, cls, onClick) {
    const b = el('button', 'btn ' + cls, text)
    b.type = 'button'
    b.addEventListener('click', onClick)
    return b
  }

  function makeCard (s) {
    const card = el('article', 'card')
    card.setAttribute('data-name', s.name)
    const meta = el('div', 'meta')
    const c = { card: card }
    const head = el('div', 'head')
    const title = el('div', 'title')
    title.appendChild(el('h2', '', s.name))
    title.appendChild(el('span', 'kind kind-' + s.kind, s.kind))
    head.appendChild(title)

    const actions = el('div', 'actions')
    c.restart = button('Restart', 'btn-restart', function () { act(s.name, c.isStopped ? 'start' : 'restart') })
    c.stop = button('Stop', 'btn-stop', function () { act(s.name, c.isStopped ? 'start' : 'stop') })
    c.logs = button('Logs', 'btn-logs', function () { openLogs(s.name) })
    actions.appendChild(c.logs)
    actions.appendChild(c.restart)
    actions.appendChild(c.stop)
    head.appendChild(actions)
    meta.appendChild(head)
    c.where = el('div', 'where mono', s.where)
    c.where.title = s.about
    // A custom restart schedule, its current step lit while waiting to restart.
    c.steps = []
    if (s.restartAt) {
      const schedule = el('span', 'schedule', '')
      schedule.appendChild(el('span', 'sep', ' · backoff '))
      s.restartAt.forEach(function (ms, i) {
        if (i) schedule.appendChild(el('span', 'sep', ' → '))
        const step = el('span', 'step', ms ? ms / 1000 + ' s' : '0')
        c.steps.push(step)
        schedule.appendChild(step)
      })
      c.where.appendChild(schedule)
    }
    meta.appendChild(c.where)


    const stats = el('div', 'stats')
    c.badge = el('span', 'badge')
    c.badgeText = el('span', '', '')
    c.badge.appendChild(el('span', 'dot'))
    c.badge.appendChild(c.badgeText)
    const stateBox = el('div', 'stat stat-state')
    stateBox.appendChild(el('div', 'label', 'state'))
    stateBox.appendChild(c.badge)
    stats.appendChild(stateBox)
    c.pid = stat('pid')
    c.restarts = stat('restarts')
    c.uptime = stat('uptime')
    c.next = stat('restart in')
    ;[c.pid, c.restarts, c.uptime, c.next].forEach(function (x) { stats.appendChild(x.box) })
    meta.appendChild(stats)
    card.appendChild(meta)

    const log = el('div', 'log')
    const logHead = el('div', 'log-head')
    c.logCount = el('span', 'log-count', '')
    c.note = el('span', 'log-note', '')
    logHead.appendChild(c.logCount)
    logHead.appendChild(c.note)
    log.appendChild(logHead)
    c.lines = []
    for (let i = 0; i < 3; i++) {
      const line = el('div', 'line mono')
      const time = el('span', 'time', '')
      const text = el('span', 'text', '')
      line.appendChild(time)
      line.appendChild(text)
      log.appendChild(line)
      c.lines.push({ line: line, time: time, text: text })
    }
    card.appendChild(log)
    servicesEl.appendChild(card)
    return c
  }

  const STATE_TEXT = {
    starting: 'starting',
    running: 'running',
    backoff: 'backoff',
    stopping: 'stopping',
    stopped: 'stopped',
    errored: 'errored',
    skipped: 'not run'
  }

  function updateCard (c, s, now) {
    c.isStopped = s.state === 'stopped' || s.state === 'errored'
    c.card.className = 'card state-' + s.state + (s.pending ? ' pending' : '')

    // The badge: the state, with a countdown while waiting to restart.
    c.badge.className = 'badge badge-' + s.state
    let stateText = STATE_TEXT[s.state] || s.state
    if (s.state === 'running' && s.ready) stateText = 'ready'
    if (s.state === 'starting' && s.dependsOn.length) stateText = 'waits for ' + s.dependsOn.join(', ')
    if (s.pending) stateText = s.pending === 'stop' ? 'stopping' : s.pending === 'start' ? 'starting' : 'restarting'
    set(c.badgeText, stateText)

    set(c.pid.value, s.pid || '—')
    set(c.restarts.value, s.restarts)
    const current = s.state === 'backoff' ? Math.min(s.restarts, c.steps.length - 1) : -1
    c.steps.forEach(function (step, i) { step.className = 'step' + (i === current ? ' now' : '') })
    set(c.uptime.value, s.state === 'running' && s.startedAt ? duration(now - s.startedAt) : '—')
    set(c.next.value, s.state === 'backoff' && s.nextStartAt ? duration(s.nextStartAt - now) : '—')
    c.next.value.className = 'value mono' + (s.state === 'backoff' ? ' countdown' : '')

    set(c.restart, c.isStopped ? 'Start' : 'Restart')
    set(c.stop, c.isStopped ? 'Start' : 'Stop')
    // A service the app leaves out on this OS has no buttons.
    c.restart.style.display = c.isStopped || s.state === 'skipped' ? 'none' : ''
    c.stop.style.display = s.state === 'skipped' ? 'none' : ''
    c.logs.style.display = s.state === 'skipped' ? 'none' : ''
    c.stop.className = 'btn ' + (c.isStopped ? 'btn-start' : 'btn-stop')
    c.restart.disabled = Boolean(s.pending)
    c.stop.disabled = Boolean(s.pending)

    set(c.logCount, thousands(s.lineCount) + ' lines' + (s.rate ? ' · ' + s.rate + '/s' : ''))
    // The last crash, from the 'exit' event's lastLines: what went wrong, in the note; while
    // no process runs, its last lines (from that line on) in place of the live ones.
    const crash = s.crash && s.crash.lastLines.length ? s.crash : null
    const at = crash ? errorIndex(crash.lastLines) : -1
    let note = s.note
    if (crash && !note) note = 'crashed ' + duration(now - crash.at) + ' ago (' + exitText(crash) + '): ' + crash.lastLines[at].text
    set(c.note, s.error ? s.error : note)
    c.note.className = 'log-note' + (s.error ? ' error' : crash && !s.note ? ' crash' : '')
    c.note.title = crash ? crash.lastLines.map(function (l) { return l.text }).join('\n') : ''

    const showCrash = crash && !s.pid
    const lines = showCrash
      ? crash.lastLines.slice(at, at + 3).map(function (l, i) { return { stream: l.stream, text: l.text, label: i ? '' : 'last lines' } })
      : s.lines
    for (let i = 0; i < 3; i++) {
      const slot = c.lines[i]
      const line = showCrash ? lines[i] || null : lines[lines.length - 3 + i] || null
      if (showCrash && line) {
        slot.line.className = 'line mono crash ' + line.stream
        set(slot.time, line.label)
        set(slot.text, line.text)
        continue
      }
      if (!line) {
        slot.line.className = 'line mono empty'
        set(slot.time, '')
        set(slot.text, i === 0 && s.lines.length === 0 ? 'no output yet' : '')
        continue
      }
      slot.line.className = 'line mono ' + line.stream
      set(slot.time, clock(line.time))
      set(slot.text, line.text)
    }
  }

  // ---- the logs pane: pm.logs() when opened, again every second while open ------------------

  const paneEl = document.getElementById('logs-pane')
  const paneTitle = document.getElementById('logs-title')
  const paneMeta = document.getElementById('logs-meta')
  const paneBody = document.getElementById('logs-body')
  let paneName = null
  let paneTimer = null
  let paneShown = ''

  function openLogs (name) {
    paneName = name
    paneShown = ''
    paneEl.setAttribute('data-name', name)
    paneEl.hidden = false
    set(paneTitle, name)
    set(paneMeta, 'reading pm.logs()…')
    while (paneBody.firstChild) paneBody.removeChild(paneBody.firstChild)
    clearInterval(paneTimer)
    paneTimer = setInterval(fillLogs, 1000)
    fillLogs()
  }

  function closeLogs () {
    paneName = null
    clearInterval(paneTimer)
    paneEl.hidden = true
    paneEl.removeAttribute('data-name')
  }

  function fillLogs () {
    const name = paneName
    demo.logs(name).then(function (r) {
      if (name !== paneName) return
      if (!r.ok) return set(paneMeta, 'pm.logs() failed: ' + r.error)
      const lines = r.lines
      const newest = lines.length ? lines[lines.length - 1] : null
      set(paneMeta, thousands(lines.length) + ' most recent lines from pm.logs() · ' + r.log)
      const key = lines.length + ':' + (newest ? newest.time + newest.text : '')
      if (key === paneShown) return
      paneShown = key
      const atBottom = paneBody.scrollTop + paneBody.clientHeight >= paneBody.scrollHeight - 4
      const frag = document.createDocumentFragment()
      lines.forEach(function (l) {
        const line = el('div', 'line mono ' + l.stream)
        line.appendChild(el('span', 'time', clock(l.time)))
        line.appendChild(el('span', 'pid', String(l.pid)))
        line.appendChild(el('span', 'text', l.text))
        frag.appendChild(line)
      })
      if (!lines.length) frag.appendChild(el('div', 'line mono empty', 'no lines yet'))
      while (paneBody.firstChild) paneBody.removeChild(paneBody.firstChild)
      paneBody.appendChild(frag)
      if (atBottom || paneBody.scrollTop === 0) paneBody.scrollTop = paneBody.scrollHeight
    })
  }

  document.getElementById('logs-close').addEventListener('click', closeLogs)
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') closeLogs() })

  // ---- header, HTTP panel, footer ---------------------------------------------------------

  function updateHeader (st) {
    const v = st.versions
    const versions = document.getElementById('versions')
    if (!versions.childNodes.length) {
      [['app', v.app], ['elife', v.pm], ['Electron', v.electron], ['Node', v.node], ['Chromium', v.chrome]].forEach(function (p) {
        const chip = el('span', 'version')
        chip.appendChild(el('span', 'dim', p[0] + ' '))
        chip.appendChild(el('span', 'mono', p[1]))
        versions.appendChild(chip)
      })
    }
    const up = st.services.filter(function (s) { return s.state === 'running' }).length
    const summary = document.getElementById('summary')
    set(summary, up + ' of ' + st.services.length + ' running')
    summary.className = 'summary ' + (up === st.services.length ? 'all-up' : 'some-down')

    const a = st.api
    const line = document.getElementById('http-line')
    const message = document.getElementById('http-message')
    const meta = document.getElementById('http-meta')
    const http = document.getElementById('http')
    if (!a.port) {
      set(line, 'waiting for the api service to report its port…')
    } else {
      const url = 'GET http://127.0.0.1:' + a.port + '/'
      if (a.status) set(line, url + ' → ' + a.status + ' · ' + a.ms + ' ms')
      else if (a.error) set(line, url + '  →  ' + a.error)
      else set(line, url + '  …')
    }
    http.className = 'http ' + (a.answer ? 'ok' : a.error ? 'bad' : 'wait')
    if (a.answer && a.answer.data) {
      set(message, '“' + a.answer.data.message + '”')
      set(meta, 'from ' + a.answer.from + ' · pid ' + a.answer.pid + ' · request #' + a.answer.requests +
        ' · ' + Math.round((st.now - a.at) / 100) / 10 + ' s ago')
    } else {
      set(message, a.port ? 'no answer' : '—')
      set(meta, a.error || '')
    }
    const verdict = document.getElementById('http-verdict')
    set(verdict, a.answer ? (a.matchesPacked ? '✓ matches the packed file' : '✗ differs from the packed file') : '')
    verdict.className = 'verdict' + (a.answer ? (a.matchesPacked ? ' good' : ' bad') : '')
    set(document.getElementById('logs-dir'), st.logsDir || '')
    set(document.getElementById('footer-note'), (st.dropped ? thousands(st.dropped) + ' lines not shown (all in the files) · ' : '') +
      (st.smoke ? 'smoke run: it quits by itself; pm stops every service' : 'closing the window quits the app; pm stops every service'))
  }

  // ---- actions and updates ------------------------------------------------------------------

  function act (name, action) {
    demo.action(name, action).then(function (r) {
      if (!r.ok && cards[name]) set(cards[name].note, action + ' failed: ' + r.error)
    })
  }

  function render (st) {
    st.receivedAt = Date.now()
    last = st
    st.services.forEach(function (s) {
      if (!cards[s.name]) cards[s.name] = makeCard(s)
    })
    updateHeader(st)
    st.services.forEach(function (s) { updateCard(cards[s.name], s, st.now) })
    // Report once the update is painted.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { demo.rendered(st.seq) })
    })
  }

  demo.onStatus(render)

  // Between updates, keep the countdowns and uptimes moving smoothly.
  setInterval(function () {
    if (!last) return
    const now = last.now + (Date.now() - last.receivedAt)
    last.services.forEach(function (s) { updateCard(cards[s.name], s, now) })
  }, 100)
})()
