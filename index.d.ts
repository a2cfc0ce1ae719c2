// Type definitions for elife/pm: `require('elife/pm')` / `import pm from 'elife/pm'`.
// pm.d.ts re-exports this file for resolvers that ignore package.json "exports" (TypeScript's
// `node10` resolution, what `module: commonjs` gives).

/**
 * Options of {@link start}. Unknown keys are an error that names the nearest known one.
 *
 * Options are plain data, read the way `JSON.stringify` would but stricter: only own,
 * enumerable, string-keyed properties of plain objects (prototype `Object.prototype` or `null`)
 * and arrays by index are read, so a polluted `Object.prototype` never becomes an option and an
 * own `__proto__` key (from `JSON.parse`) is an unknown option. A top-level `undefined` means
 * "not given". Anything else is a `TypeError` that names the option's path and what it got:
 * a cycle, nesting deeper than 8 levels, `NaN` or `±Infinity`, a function, symbol, bigint or
 * `undefined` inside a value, a getter, a hole in an array (other properties of an array are
 * ignored), a class instance, `Map`, `Date`, `Buffer` or `Proxy`
 * (`pm.start: option "restartAt[2]" must be a finite number, got NaN`). Targets of
 * {@link stop} and {@link restart} and the options of {@link configure} are read the same way.
 * No string may contain a NUL character (no path, argument or variable can hold one).
 */
export interface StartOptions {
  /**
   * The file to run (required). Relative paths resolve against `cwd`. `.js`, `.cjs` and `.mjs`
   * run as Node services on the main process's own binary (`process.execPath`, with
   * `ELECTRON_RUN_AS_NODE=1`), so inside Electron they run on Electron's Node and can read
   * files inside `app.asar`; in Electron on macOS they run on the app bundle's helper
   * (`<App> Helper.app`, no Dock icon per service) when there is one. The file must exist
   * (checked with Electron's asar-aware `fs`). On a Node before 12.17 (Electron 9 to 11),
   * `.mjs` scripts run with `--experimental-modules`.
   *
   * Such a service starts as `<execPath> --require <elife>/lib/run-as-node-preload.js <script>
   * <args>`: the preload deletes `process.env.ELECTRON_RUN_AS_NODE` before the service's code
   * runs, so what the service starts (a shell, `npm`, another Electron app) does not inherit
   * it, and gives it back only to children that are Electron's binary again: `fork()`,
   * `spawn`/`execFile` of `process.execPath`, a shell command that starts with it, and their
   * `*Sync` forms, which run as Node as in any Node program. `process.argv`, `require.main` and
   * `__filename` are as without pm (`process.execArgv` shows the `--require`). Python services,
   * executables and services with `interpreter` never get the variable or the preload.
   */
  script: string
  /**
   * A name for stop/restart calls. Optional, and may repeat: an action by name applies to every
   * process of that name. A process without a name is reached only by {@link stopall}.
   * Default: none (logs use the script's file name).
   */
  name?: string
  /**
   * The program that runs `script`: a name looked up on PATH, or a path (relative to the main
   * process's cwd); on Windows a name without an extension is tried with each of PATHEXT's
   * (`node` finds `node.exe`). `.py` scripts default to `$ELIFE_PM_PYTHON`, else `python3`, then
   * `python` on PATH (Windows: the `py` launcher as `py -3`, then `python`); `.js` scripts
   * default to Electron's own Node; anything else runs directly (it must be executable; on
   * Windows, have a PATHEXT extension such as `.exe` or `.cmd`). A missing interpreter is an
   * error from `start()` that names it. Python services are not supported on Windows yet: the
   * lookup is there, but no Windows Python has been tested.
   * Default: by the script's extension, as above.
   */
  interpreter?: string
  /** Arguments after the script. Default: `[]`. */
  args?: string[]
  /**
   * The working directory, relative to the main process's cwd. Default: the main process's cwd.
   * A directory inside an asar archive cannot be a process's cwd: it is mapped to the same
   * path under `app.asar.unpacked` when that exists, else to the directory holding the archive.
   */
  cwd?: string
  /**
   * Variables merged over the main process's environment: values must be strings, names must
   * be non-empty and without `=`. Default: `{}`.
   */
  env?: Record<string, string>
  /**
   * ms between the polite stop request and SIGKILL to the service's whole process group,
   * at most `86400000` (24 hours). Default: `200`.
   */
  stopTimeout?: number
  /**
   * A file that receives the service's stdout and stderr, one whole line at a time:
   * `2026-11-26T15:33:32.123Z name[pid] out: text` (`err:` for stderr; the name is the
   * script's file name when there is none). Relative to the main process's cwd; missing
   * directories are created. Several services may share one file: their lines never tear or
   * interleave, and each one's lines keep their order. A line over 64 KiB is written in pieces
   * of 64 KiB. Everything printed before an exit is in the file before `stop()` resolves.
   * A file that cannot be opened, or a path that is not a regular file (a FIFO, a directory, a
   * device: pm never blocks on opening one), is reported as an `'error'` event and the lines go
   * to stderr. If the file or its directory is removed while services write, it is created
   * again and the next lines go there. Lines that cannot be written (a full disk) are reported
   * once as an `'error'` event with a count, and again with the total once writing works again;
   * the file never ends inside a line.
   * Default: none (lines go to the main process's stdout and stderr, prefixed the same way).
   */
  log?: string
  /**
   * `'text'` as above, or `'json'`: one object per line,
   * `{"time":"…","name":"…","pid":123,"stream":"out"|"err","line":"…"}`. Default: `'text'`.
   */
  logFormat?: 'text' | 'json'
  /** Remove terminal escape codes (colours, cursor moves, titles) from each line. Default: `false`. */
  stripANSI?: boolean
  /**
   * Rotate the log file before it would grow past this many bytes: `x.log` is renamed to
   * `x.log.1` (the newest), `x.log.1` to `x.log.2`, and so on, and a fresh `x.log` is opened.
   * Lines are never split across files. Only files past `logKeep` are deleted, so rotation is
   * off unless asked for: pm loses no line by default. `0` means off. When services share a
   * file, the settings of the first one to open it apply. `0` or at least `4096`.
   * Default: `0` (never rotate).
   */
  logMaxSize?: number
  /**
   * With `logMaxSize`: how many rotated files to keep (`x.log.1` … `x.log.N`), at most `1000`.
   * Default: `5`.
   */
  logKeep?: number
  /**
   * Delays in ms before restarting after a crash: the n-th crash in a row waits `restartAt[n-1]`,
   * the last delay repeats (each at most `86400000`, 24 hours). `[]` turns restarts off. A crash
   * is any exit pm did not ask for.
   * Default: `[0, 100, 500, 1000, 10000, 30000, 60000, 300000, 900000]`.
   */
  restartAt?: number[]
  /**
   * ms a process must have run for its crash to count as a first crash again, at most
   * `86400000` (24 hours). Default: `1800000` (30 minutes).
   */
  restartOk?: number
  /**
   * Restart politely (like {@link restart}) when the service and its children use more than
   * this many bytes of memory (resident set on Linux, working set on Windows). Sampled once a
   * second, and only for services that set it. At least `1048576` (1 MiB). The `'restart'`
   * event then has `reason: 'memory'`. Default: none (never sampled).
   */
  maxMemory?: number
  /**
   * Give up after this many restarts in a row without a stable run (`restartOk`) in between:
   * the service ends `'errored'` with an `'error'` event that says why. `0` gives up at the
   * first crash. Default: none (never give up; the last `restartAt` delay repeats).
   */
  maxRestarts?: number
  /**
   * Make {@link start} (and {@link restart}) resolve only once the service called `ready()`
   * (`require('elife/pm').ready()` in Node, `elife_pm.ready()` in Python), instead of at spawn.
   * Default: `false`.
   */
  waitReady?: boolean
  /**
   * With `waitReady`: ms to wait for `ready()`. Past it the service is stopped, ends
   * `'errored'`, and `start()` rejects with an error that says it did not get ready in time.
   * More than 0, at most `86400000`. Default: `30000`.
   */
  readyTimeout?: number
  /**
   * Names of services that must be running and ready (a service without `waitReady` counts as
   * ready once it runs) before this one spawns; they may be started after it. Each (re)spawn
   * waits for them again. A dependency that closes a cycle is refused by `start()`; a name pm
   * still does not run a second later is reported as an `'error'` event, and waited for. {@link stopall} stops a
   * service before the services it depends on. Restarting a dependency does not restart its
   * dependents. Default: `[]`.
   */
  dependsOn?: string[]
}

/** Options of {@link configure}. */
export interface ConfigureOptions {
  /**
   * Where pm records the services it runs, so that the next start of the same app can end what
   * a killed run left behind. It must be private to the user (pm creates it with mode 0700 and
   * ignores it otherwise). Default: `<userData>/elife-pm` in Electron; in plain Node, a
   * directory per main script in the OS temp directory.
   */
  stateDir?: string
}

/** Settings for the whole process; call before the first {@link start}. */
export function configure(options: ConfigureOptions): void

/** Selects processes by name: `'name'` or `{ name: 'name' }`. */
export type Target = string | { name: string }

/**
 * Where a managed process is in its life:
 * - `'starting'`: being spawned;
 * - `'running'`: its process runs;
 * - `'backoff'`: it crashed and waits for its restart (see `nextStartAt`);
 * - `'stopping'`: pm asked it to stop and waits for it to exit;
 * - `'stopped'`: it is over: pm stopped it (what `stop()` resolves with), or it exited and will
 *   not restart;
 * - `'errored'`: its process could not be spawned again (see `error`).
 */
export type ProcessState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'errored'

/** How the last process of a managed service ended. */
export interface LastExit {
  /** The pid the process had. */
  pid: number
  /** Exit code, or null when a signal ended it. */
  code: number | null
  /** The signal that ended it (`'SIGKILL'`), or null. */
  signal: string | null
  /** ms since the Unix epoch. */
  at: number
}

/** A snapshot of one managed process. */
export interface ProcessInfo {
  /** Unique per start; a restart gets a new id. */
  id: number
  /** The `name` given to {@link start}, or null when it had none. */
  name: string | null
  /** The absolute script path. */
  script: string
  /** null while no process runs (starting, backoff, stopped, errored). */
  pid: number | null
  /** Where it is in its life: see {@link ProcessState}. */
  state: ProcessState
  /** When the current or last process was spawned, in ms since the Unix epoch. */
  startedAt: number | null
  /** Crash restarts so far. */
  restarts: number
  /** How its last process ended, or null while none has exited yet. */
  lastExit: LastExit | null
  /** While in backoff: when the next start is due, in ms since the Unix epoch. */
  nextStartAt: number | null
  /** Why the process is errored (a failed spawn, not ready in time, gave up), or null. */
  error: string | null
  /** Whether the current process said `ready()`; false again after each restart. */
  ready: boolean
  /**
   * Bytes of memory the process and its children use (resident set on Linux, working set on
   * Windows), read when `list()` is called; null when no process runs or it cannot be read.
   */
  memory: number | null
  /**
   * Seconds of CPU (user and system) the current process has used so far, read when `list()`
   * is called; or null.
   */
  cpu: number | null
  /** The log file's absolute path, or null when the service logs to the main process's output. */
  log: string | null
}

/**
 * Starts one process; resolves with its info once it is spawned (with `waitReady`, once it
 * said `ready()`; if it was stopped before it could spawn, its state says `'stopped'`). Throws at once on bad options;
 * rejects when the first spawn fails (a crash after that is restarted, not an error).
 *
 * **Call order.** Every call acts on the services as they are when it is made, in the order
 * the calls are made, whatever their promises do later: `start()` registers the service at
 * once; `stop()`/`stopall()` take what they stop out of {@link list} at once, so a `start()`
 * of the same name right after a `stop()` is not affected by it; `restart()` puts each new
 * process in place of its old self at once (it spawns once the old one is gone), so a second
 * `restart()` of the same name before that joins the first instead of starting another, and
 * a `stop()` meanwhile stops the new one too: once both settle, nothing of that name runs.
 */
export function start(options: StartOptions): Promise<ProcessInfo>
/**
 * Stops every process with this name, in parallel: the polite request (the service's
 * `onstopping` runs, or SIGTERM if it has none), then SIGKILL to its process group after
 * `stopTimeout`. They leave {@link list} at once; the promise resolves once all have exited
 * and their output is written, with their final info. A name that matches nothing resolves
 * to `[]`. Only processes started before the call are affected.
 */
export function stop(target: Target): Promise<ProcessInfo[]>
/**
 * Replaces every process with this name by a new one with the same options; each new one
 * spawns only once its old self has exited (they never overlap, so a port is free again).
 * Resolves with the new processes' info once they spawned. A restart of a name whose
 * restart is still waiting joins it. If the new process is stopped before it could spawn,
 * its info says `'stopped'`.
 */
export function restart(target: Target): Promise<ProcessInfo[]>
/**
 * Stops every process, named or not, including those already stopping; resolves once all
 * are gone. Processes started after the call are not affected.
 */
export function stopall(): Promise<ProcessInfo[]>
/**
 * One entry per process pm manages, in start order: from `start()` until a `stop()` or
 * `stopall()` that reaches it. A process that ended on its own (restarts off, or a failed
 * start) stays listed as `'stopped'` or `'errored'` until then.
 */
export function list(): ProcessInfo[]
/**
 * Restarts every process, as {@link restart} does for one name; each new one waits for its
 * `dependsOn` services to be ready again. Resolves with the new processes' info.
 */
export function restartall(): Promise<ProcessInfo[]>
/**
 * Sends `message` (plain data, as JSON) to every process with this name, where the service's
 * `process.on('message')` (Node) or `elife_pm.on_message` (Python) receives it. Returns how
 * many processes it reached; a process without a channel (a plain executable, or one not
 * running) is skipped, not an error. Messages to one process arrive in the order sent.
 */
export function send(target: Target, message: unknown): number
/**
 * In a service started by pm: tells pm the service is ready (`waitReady`, `dependsOn`).
 * Returns true when pm was told; a second call does nothing and returns false, and so does a
 * call in a process pm did not start (the main process included), so a service can also run
 * on its own.
 */
export function ready(): boolean

/** What every event but `'log'` carries: which managed process it is about. */
export interface EventBase {
  /** The process's id, as in {@link ProcessInfo.id}. */
  id: number
  /** Its `name`, or null when it has none. */
  name: string | null
}
/** `'start'`: a process was spawned (at the first start, and at each restart). */
export interface StartEvent extends EventBase {
  /** The new process's pid. */
  pid: number
}
/** `'exit'`: a process exited, whether pm asked it to or not (then it is a crash). */
export interface ExitEvent extends EventBase {
  /** The pid of the process that exited. */
  pid: number
  /**
   * Its exit code, or null when a signal ended it. On Windows, a crash's NTSTATUS (such as
   * `0xC0000005`) reads as a negative number.
   */
  code: number | null
  /**
   * The signal that ended it (`'SIGKILL'`, `'SIGTERM'`, ...), or null when it exited by itself.
   * Windows has no signals: there it is `'SIGTERM'` when pm ended the service's job for a stop
   * request (a service without `onstopping`), `'SIGKILL'` when pm ended it at the end of its
   * grace period, and null otherwise.
   */
  signal: string | null
  /** true when pm asked the process to stop. */
  requested: boolean
  /**
   * true when pm SIGKILLed the process group at the end of its grace period (`stopTimeout`):
   * the service did not finish stopping in time. A process warning names the service and the
   * grace period it overran.
   */
  killed?: boolean
}
/** `'restart'`: a process will be started again after `delay` ms. */
export interface RestartEvent extends EventBase {
  /** 1 for the first restart after a crash, counting up while it keeps crashing. */
  attempt: number
  /** ms until the restart. */
  delay: number
  /** `'crash'`: it exited when pm did not ask it to; `'memory'`: it grew past `maxMemory`. */
  reason: 'crash' | 'memory'
}
/** `'ready'`: a service called `ready()`. */
export interface ReadyEvent extends EventBase {
  /** The pid of the process that is ready. */
  pid: number
}
/** `'stop'`: pm stopped a process for good; it is no longer managed. */
export interface StopEvent extends EventBase {
  /** The pid of its last process, or null when none was running (in backoff, errored). */
  pid: number | null
}
/**
 * `'error'`: something the app should hear of, such as a failed respawn or an unwritable log.
 * A log file's own faults (lines lost on a full disk, and the recovery with how many were lost;
 * a removed log that cannot be created again; a failed rotation) concern every service writing
 * to it: they carry `id: 0` and `name: null`, and the message names the file.
 */
export interface ErrorEvent extends EventBase {
  /** What went wrong, in words. */
  message: string
}
/** `'message'`: a service called `process.send(message)`. */
export interface MessageEvent extends EventBase {
  /** The pid of the process that sent it. */
  pid: number
  /** What the service passed to `process.send`. */
  message: unknown
}
/** One line of a service's output, in a {@link LogEvent}. */
export interface LogLine {
  /** The process's id, as in {@link ProcessInfo.id}. */
  id: number
  /** Its `name`, or null when it has none. */
  name: string | null
  /** The pid of the process that printed it. */
  pid: number
  /** `'out'` for stdout, `'err'` for stderr. */
  stream: 'out' | 'err'
  /** The line, without its newline (and without escape codes under `stripANSI`). */
  text: string
  /** When it was read, in ms since the Unix epoch. */
  time: number
}
/** Service output, in batches about every 100 ms, gathered only while a 'log' listener exists. */
export interface LogEvent {
  /** The lines, in the order each process printed them. */
  lines: LogLine[]
  /** Lines left out of this batch because the main thread did not keep up (log files have them all). */
  dropped: number
}
/** The events of {@link on} and {@link off}, and what each listener receives. */
export interface Events {
  /** Service output in batches (about every 100 ms); gathered only while a listener exists. */
  log: LogEvent
  /** A process was spawned. */
  start: StartEvent
  /** A service said it is ready. */
  ready: ReadyEvent
  /** A process exited (`requested: false` means it crashed). */
  exit: ExitEvent
  /** A process will be started again after a delay (a crash, or `maxMemory`). */
  restart: RestartEvent
  /** pm stopped a process for good. */
  stop: StopEvent
  /** A failed respawn, an unwritable log. Unheard, it is a process warning, never a throw. */
  error: ErrorEvent
  /** A service called `process.send`. */
  message: MessageEvent
}

/**
 * Listens for supervisor events: `'start'`, `'ready'`, `'exit'`, `'restart'`, `'stop'`, `'error'`,
 * `'message'` (a service's `process.send`) and `'log'` (service output in batches). Unlike
 * EventEmitter, an `'error'` nobody listens to does not throw (it becomes a process warning),
 * and a listener that throws is reported as a process warning. `'log'` costs the main thread
 * nothing until a listener is added. Returns the module, so calls chain.
 */
export function on<E extends keyof Events>(event: E, listener: (event: Events[E]) => void): typeof import('./index')
/**
 * Removes a listener added with {@link on} (the same function, for the same event). When the
 * last `'log'` listener goes, pm stops gathering output for events. Returns the module.
 */
export function off<E extends keyof Events>(event: E, listener: (event: Events[E]) => void): typeof import('./index')

/**
 * In the main process: runs `handler` once when the app quits, before the services are stopped;
 * a returned promise is awaited (all handlers together get 5 s). On `process.exit()` or
 * `app.exit()` it is called but cannot be awaited.
 *
 * In a service started by pm: runs `handler` when pm asks the service to stop, or when the
 * main process is gone; once it settles, the service exits (code 1 if a handler failed).
 */
export function onstopping(handler: () => void | Promise<void>): void
