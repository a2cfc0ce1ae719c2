// Type definitions for elife/pm: `require('elife/pm')` / `import pm from 'elife/pm'` (a default
// export of the module itself, so that no esModuleInterop is needed) or named imports.
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
   * (checked with Electron's asar-aware `fs`). On a Node before 12.17 (Electron 9 and 10),
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
   * Lines are never split across files, and none is lost among the kept files; the oldest
   * file past `logKeep` is deleted. With the defaults a log takes at most 40 MiB on disk
   * (`x.log` and three rotated files of 10 MiB), so an app nobody watches never fills the
   * user's disk. `0` turns rotation off (the file grows without bound). When services share a
   * file, the settings of the first one to open it apply. `0` or at least `4096`.
   * Default: `10485760` (10 MiB).
   */
  logMaxSize?: number
  /**
   * How many rotated files to keep (`x.log.1` … `x.log.N`), at most `1000`; `0` keeps none
   * (the full file is deleted at each rotation). Default: `3`.
   */
  logKeep?: number
  /**
   * gzip-compress rotated files (`x.log.1.gz` …) on pm's own low-priority thread. A crash
   * while compressing leaves either the plain file or the complete `.gz`, never a truncated
   * one (it continues at the next start). Needs `log`, and rotation on (`logMaxSize` and
   * `logKeep` not `0`). Default: `false`.
   */
  logCompress?: boolean
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
   * Services that must be running and ready before this one spawns: names, or
   * `{ name, when }` entries. `when: 'ready'` (the default) waits until a service of that name
   * runs and is ready (a service without `waitReady` or `readyWhen` counts as ready once it
   * runs); `when: 'completed'` waits until it exited with code 0 and will not run again (a
   * one-shot task with `restart: 'on-failure'` or `'never'`, e.g. a migration). They may be
   * started after this one. Each (re)spawn waits for them again. A dependency that fails for
   * good (it ends `'errored'`; or it completed when `'ready'` was asked; or it restarts on
   * every exit when `'completed'` was asked) makes this service end `'errored'` with an
   * `'error'` event, and its `start()` rejects with `ERR_PM_DEPENDENCY`, instead of waiting
   * for ever. A dependency that closes a cycle is refused by `start()`; a name pm still does
   * not run a second later is reported as an `'error'` event, and waited for. {@link stopall}
   * stops a service before the services it depends on. Restarting a dependency does not
   * restart its dependents. Default: `[]`.
   */
  dependsOn?: Array<string | Dependency>
  /**
   * How pm tells that a program that cannot call `ready()` is ready (a database, a server
   * nobody here wrote). One of:
   * - `{ log: RegExp | string }`: a line of its stdout or stderr matches (a string is a
   *   regular expression's source; a RegExp is the one exception to options being plain
   *   data). Lines are matched as they are written to the log (after `stripANSI`), whether or
   *   not the service has a `log` file. pm matches with Rust's `regex` syntax: no look-around
   *   or back-references (an error from `start()` says so); the flags `i`, `m` and `s` apply.
   * - `{ tcp: port | 'host:port', every? }`: a TCP connection is accepted (the host defaults to
   *   `127.0.0.1`; `'[::1]:5432'` for IPv6), tried every `every` ms (default `100`).
   * - `{ http: 'http://host:port/path', every? }`: a GET answers 2xx (plain HTTP only).
   *
   * It feeds everything readiness feeds: `waitReady`, `readyTimeout`, `dependsOn`, the
   * `'ready'` event and `list()`'s `ready`. The first process must get ready within
   * `readyTimeout`, or it is stopped and ends `'errored'` (`start()` rejects with
   * `ERR_PM_NOT_READY` under `waitReady`); a restarted one is waited for as long as it takes.
   * Probing costs the main thread nothing, and stops once the service is ready or gone.
   * Default: none (ready once it runs, or once it calls `ready()` under `waitReady`).
   */
  readyWhen?: { log: RegExp | string } | { tcp: number | string; every?: number } | { http: string; every?: number }
  /**
   * Liveness for a running, ready service: `{ tcp }` or `{ http }` as in `readyWhen`, probed
   * every `every` ms (default `10000`), each probe given `timeout` ms (default `2000`). After
   * `failures` failed probes in a row (default `3`, at most `1000`) pm restarts it politely
   * (as {@link restart} would): a `'restart'` event with `reason: 'unhealthy'` and a process
   * warning that names the service and the failed probe. Only services with this option are
   * probed. Default: none.
   */
  healthCheck?: { tcp?: number | string; http?: string; every?: number; timeout?: number; failures?: number }
  /**
   * What a service without `onstopping` is asked to stop with, before SIGKILL after
   * `stopTimeout`: `'SIGTERM'`, `'SIGINT'` (e.g. PostgreSQL's fast shutdown), `'SIGQUIT'`,
   * `'SIGHUP'`, `'SIGUSR1'` or `'SIGUSR2'`. Windows has no signals: there a service without
   * `onstopping` is ended with its Job Object at once, whatever this says. Default:
   * `'SIGTERM'`.
   */
  stopSignal?: 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2'
  /**
   * Which exits pm restarts (on the `restartAt` schedule): `'always'` (any exit pm did not
   * ask for is a crash), `'on-failure'` (an exit with code 0 is done: the service ends
   * `'stopped'` with `completed: true`, and is not restarted), `'never'` (no exit is
   * restarted: code 0 ends `'stopped'` and completed, anything else `'errored'`). Default:
   * `'always'`.
   */
  restart?: 'always' | 'on-failure' | 'never'
  /**
   * `'pipe'`: the service's stdin and stdout belong to the app, through {@link stdio} (a
   * language server, an MCP server, a JSON-RPC worker); stderr is still logged line by line.
   * Nothing of stdout reaches the log or `'log'` events. Until the app reads stdout, what the
   * service writes waits in its pipe (a service that writes more than a pipe holds waits).
   * Default: stdin reads nothing and stdout is logged.
   */
  stdio?: 'pipe'
}

/**
 * The `code` of every error pm throws or rejects with (`err.code`), so that an app can tell
 * them apart without reading messages:
 * - `ERR_PM_OPTION`: a bad option, target or argument (thrown at once, often a `TypeError`);
 * - `ERR_PM_DEPENDENCY_CYCLE`: `dependsOn` would close a cycle (thrown by `start()`);
 * - `ERR_PM_SPAWN`: the first spawn failed, e.g. the program is missing (`start()` rejects);
 * - `ERR_PM_NOT_READY`: not ready within `readyTimeout` (`start()` with `waitReady` rejects);
 * - `ERR_PM_DEPENDENCY`: a service it depends on failed for good;
 * - `ERR_PM_STOPPED`: pm went away before the service could start;
 * - `ERR_PM_NOT_MAIN_THREAD`: called from a worker thread (pm belongs to the main thread);
 * - `ERR_PM_STATE_DIR`: the state directory cannot be used, or is set too late;
 * - `ERR_PM_NOT_PIPED`: `stdio()` of a service started without `stdio: 'pipe'`;
 * - `ERR_PM_AMBIGUOUS`: a call that needs one process found several of that name;
 * - `ERR_PM_UNKNOWN_SERVICE`: no service of that name is known;
 * - `ERR_PM_INTERNAL`: a bug in pm (please report it).
 */
export type PmErrorCode =
  | 'ERR_PM_OPTION'
  | 'ERR_PM_DEPENDENCY_CYCLE'
  | 'ERR_PM_SPAWN'
  | 'ERR_PM_NOT_READY'
  | 'ERR_PM_DEPENDENCY'
  | 'ERR_PM_STOPPED'
  | 'ERR_PM_NOT_MAIN_THREAD'
  | 'ERR_PM_STATE_DIR'
  | 'ERR_PM_NOT_PIPED'
  | 'ERR_PM_AMBIGUOUS'
  | 'ERR_PM_UNKNOWN_SERVICE'
  | 'ERR_PM_INTERNAL'

/** An error from pm: an `Error` (a `TypeError` for bad input) with a {@link PmErrorCode}. */
export interface PmError extends Error {
  code: PmErrorCode
}

/** A `dependsOn` entry that says what to wait for. */
export interface Dependency {
  /** The service's name. */
  name: string
  /** `'ready'` (it runs and is ready) or `'completed'` (it exited with code 0 for good). Default: `'ready'`. */
  when?: 'ready' | 'completed'
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

/**
 * Selects processes: by name (`'name'` or `{ name: 'name' }`: every process of that name), or
 * one process by its id (`{ id }`, as in {@link ProcessInfo.id}): how an unnamed process, or
 * one of several of a name, is reached.
 */
export type Target = string | { name: string } | { id: number }

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
  /** The last lines it wrote (see {@link ExitEvent.lastLines}). */
  lastLines: LastLine[]
}

/** One of the last lines a process wrote, as its log has it (without time and prefix). */
export interface LastLine {
  /** `'out'` for stdout, `'err'` for stderr. */
  stream: 'out' | 'err'
  /** The line, without its newline (and without escape codes under `stripANSI`). */
  text: string
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
  /**
   * true once its process exited with code 0 by itself and pm will not start it again (see
   * `restart`); its state is then `'stopped'`. What `dependsOn` `when: 'completed'` waits for.
   */
  completed: boolean
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
declare global {
  // Node's stream interfaces: @types/node's when the app has it (an Electron app does: electron's
  // own typings bring it), empty otherwise, so that these typings depend on nothing.
  namespace NodeJS {
    interface ReadableStream {}
    interface WritableStream {}
  }
}

/** A piped service's stdin and stdout (`stdio: 'pipe'`), from {@link stdio}. */
export interface StdioPair {
  /**
   * The service's stdin, a Node `stream.Writable` (typed as `NodeJS.WritableStream`): `write()` returns false and `'drain'` comes as with
   * any stream (pm holds at most one chunk for a service that does not read). `end()` closes
   * it. Writing after the process exited is an error on this stream (`code: 'EPIPE'`), never
   * a throw or a crash.
   */
  stdin: NodeJS.WritableStream
  /**
   * The service's stdout, a Node `stream.Readable` (typed as `NodeJS.ReadableStream`): every byte in order, binary-safe, in chunks.
   * `'end'` comes once the process is gone and everything it wrote was read. An app that
   * stops reading slows the service through its own pipe.
   */
  stdout: NodeJS.ReadableStream
  /** The service's id, as in {@link ProcessInfo.id}. */
  id: number
  /** The process these belong to: each (re)start gets a new pair. */
  pid: number
}

/**
 * The stdin and stdout of the one running process that `target` names, for a service started
 * with `stdio: 'pipe'`; the same pair for the same process on every call, a new pair for each
 * (re)start. null while nothing of that name runs (not started, in backoff, stopped), except
 * that the pipes of a process that exited before the app took them stay until the next start
 * (or until the app read their end). A listener of `'start'` can call it at once and miss no
 * byte of the new process's output, even of one that already exited.
 * Throws `ERR_PM_NOT_PIPED` when the service was not started with `stdio: 'pipe'`, and
 * `ERR_PM_AMBIGUOUS` when several processes have the name (reach one with `{ id }`).
 */
export function stdio(target: Target): StdioPair | null

/** Options of {@link logs}. */
export interface LogsOptions {
  /** How many lines at most, from 1 to 100000. Default: `100`. */
  lines?: number
}

/**
 * Resolves with the most recent lines of the services `target` names (up to `lines`, oldest
 * first, as {@link LogLine}s): read from the log file, across rotations and compressed files,
 * when the service has one (only its own lines of a shared file); from the last lines pm keeps
 * of its current or last process (at most 20) when it has none. Works for a service that was
 * stopped, as long as it is the last of its name (and its file exists). Rejects with
 * `ERR_PM_UNKNOWN_SERVICE` for a name pm never started. Lines read from a file carry the id
 * of the service pm knows by that name.
 */
export function logs(target: Target, options?: LogsOptions): Promise<LogLine[]>

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
  killed: boolean
  /**
   * true when the exit completed the service: it exited with code 0 by itself and will not be
   * started again (`restart: 'on-failure'` or `'never'`, or restarts off).
   */
  completed: boolean
  /**
   * The last lines the process wrote, stdout and stderr (each stream's lines in order; the two
   * streams interleaved as pm read them from their pipes), at most 20 lines and 8 KiB (a
   * longer line keeps its first 8 KiB): what a crash report needs (the Python traceback's
   * last line, a Node error's message). Kept on pm's own threads as lines are written.
   */
  lastLines: LastLine[]
}
/** `'restart'`: a process will be started again after `delay` ms. */
export interface RestartEvent extends EventBase {
  /** 1 for the first restart after a crash, counting up while it keeps crashing. */
  attempt: number
  /** ms until the restart. */
  delay: number
  /**
   * `'crash'`: it exited when pm did not ask it to; `'memory'`: it grew past `maxMemory`;
   * `'unhealthy'`: its `healthCheck` failed.
   */
  reason: 'crash' | 'memory' | 'unhealthy'
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

/**
 * The module itself, so that `import pm from 'elife/pm'` works without `esModuleInterop` (at
 * run time `require('elife/pm').default` is the module).
 */
declare const pm: typeof import('./index')
export default pm
