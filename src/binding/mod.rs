//! The N-API surface that the JS layer wraps: conversions between JS values and the supervisor,
//! nothing else. Events reach JS in ordered batches (`events.rs`); errors carry pm's codes
//! (`errors.rs`); promises are settled from the supervisor's runtime. Every function catches
//! panics, so a bug here is a JS exception, never a crash of the main process.
//!
//! The supervisor belongs to the environment that first called `init` (Electron's main process
//! or Node's main thread). Another environment (a worker thread) that loads the addon gets a
//! clear error from every call, and its teardown leaves the owner's services alone.

mod contract;
mod errors;
mod events;
mod stdio;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, JsDeferred};
use napi_derive::napi;
use serde_json::Value;

use crate::error::{ErrorKind, PmError};
use crate::runtime;
use crate::start::launch::Host;
use crate::start::options;
use crate::start::{self, OsProbe};
use crate::supervisor::Supervisor;
use errors::{internal, settled, thrown, JsResult};

type Resolver = Box<dyn FnOnce(Env) -> Result<Value> + Send>;

static SUPERVISOR: OnceLock<Arc<Supervisor>> = OnceLock::new();
/// The owning environment (its `napi_env` as a number); 0 until `init`.
static OWNER: AtomicUsize = AtomicUsize::new(0);

fn env_id(env: &Env) -> usize {
    env.raw() as usize
}

fn not_owner() -> Error<&'static str> {
    thrown(PmError::new(
        ErrorKind::NotMainThread,
        crate::contract::NOT_MAIN_THREAD,
    ))
}

/// The supervisor, for calls from its owning environment.
fn supervisor(env: &Env) -> JsResult<&'static Arc<Supervisor>> {
    if OWNER.load(Ordering::SeqCst) != env_id(env) {
        return Err(not_owner());
    }
    SUPERVISOR.get().ok_or_else(|| {
        thrown(PmError::new(
            ErrorKind::Internal,
            "elife/pm: init() was not called",
        ))
    })
}

/// Runs `fut` on the supervisor's runtime and settles a JS promise with its outcome, as
/// `{ ok }` or `{ error }` (`errors.rs`).
fn promise<'env, F>(env: &'env Env, fut: F) -> JsResult<Object<'env>>
where
    F: Future<Output = std::result::Result<Value, PmError>> + Send + 'static,
{
    let (deferred, promise): (JsDeferred<Value, Resolver>, _) =
        env.create_deferred().map_err(internal)?;
    let rt = runtime::get();
    let task = rt.spawn(fut);
    rt.spawn(async move {
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(e) => Err(PmError::new(
                ErrorKind::Internal,
                format!("elife/pm internal error: {e}"),
            )),
        };
        let value = settled(outcome);
        // After the events that came before the outcome: a stop() resolves after the 'exit'
        // and 'stop' events of what it stopped.
        events::after_events(Box::new(move || {
            deferred.resolve(Box::new(move |_| Ok(value)));
        }));
    });
    Ok(promise)
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Said once, at the first start of a Node service, when on macOS Node services run on the
/// app's main executable because its bundle has no helper (`electron_helper.rs`).
static NO_HELPER_NOTICE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Sets up the supervisor for this environment if it is the first: the binary that runs Node
/// services (`process.execPath`; in Electron on macOS, the app bundle's helper), its Node
/// version, Electron's version (`process.versions.electron`, none in plain Node), and the JS
/// function that receives events (in batches). Throws the main-thread-only error in any other
/// environment. A cleanup hook kills whatever still runs when the owner's environment is torn
/// down.
#[napi(catch_unwind)]
pub(crate) fn init(
    env: Env,
    exec_path: String,
    node_version: String,
    electron_version: Option<String>,
    on_events: Function<String, ()>,
) -> Result<(), &'static str> {
    let me = env_id(&env);
    if OWNER
        .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(not_owner());
    }
    events::install(on_events, || SUPERVISOR.get().cloned()).map_err(internal)?;
    let mut exec_path = PathBuf::from(exec_path);
    if cfg!(target_os = "macos") && electron_version.is_some() {
        let (binary, notice) = crate::start::electron_helper::node_binary(
            &exec_path,
            &crate::start::electron_helper::OsFiles,
        );
        exec_path = binary;
        *crate::sync::lock(&NO_HELPER_NOTICE) = notice;
    }
    // The fuse of the binary that will run Node services (on macOS, its framework's).
    crate::start::electron_fuse::prefetch(&exec_path);
    // Created here, on the JS thread: the spawner thread inherits its normal priority.
    let sup = Supervisor::new(
        Host {
            exec_path,
            pid: std::process::id(),
            node_version: crate::start::launch::parse_node_version(&node_version),
            reads_archives: electron_version.is_some(),
        },
        Arc::new(events::emit),
        runtime::get().handle().clone(),
    )
    .map_err(|e| thrown(PmError::new(ErrorKind::Internal, e.to_string())))?;
    let _ = SUPERVISOR.set(sup);
    env.add_env_cleanup_hook((), |_| {
        if let Some(s) = SUPERVISOR.get() {
            s.kill_all();
        }
        events::uninstall();
    })
    .map_err(internal)?;
    Ok(())
}

/// Validates the options (throwing on bad input), spawns the service, and returns a promise
/// of its info. `readable` is JS's `fs` check, which sees inside asar archives;
/// `python_helper` gives the directory of pm's Python helper (called for Python services
/// only: it may copy the helper out of an archive); `node_preload` gives the preload of Node
/// services on Electron's binary (called for those only, likewise).
#[napi(catch_unwind)]
pub(crate) fn start<'env>(
    env: &'env Env,
    options: Unknown<'env>,
    readable: Function<'env, String, bool>,
    python_helper: Function<'env, (), Option<String>>,
    node_preload: Function<'env, (), Option<String>>,
) -> Result<Object<'env>, &'static str> {
    let sup = supervisor(env)?;
    let value: Value = env.from_js_value(options).map_err(|e| {
        thrown(PmError::option(format!(
            "pm.start: options must be plain data: {}",
            e.reason
        )))
    })?;
    let readable_by_node = |p: &Path| {
        readable
            .call(p.to_string_lossy().into_owned())
            .unwrap_or(false)
    };
    let helper = || python_helper.call(()).ok().flatten().map(PathBuf::from);
    let preload = || node_preload.call(()).ok().flatten().map(PathBuf::from);
    let probe = OsProbe {
        readable_by_node: &readable_by_node,
        python_helper: &helper,
        node_preload: &preload,
    };
    let prepared = start::prepare(&value, sup.host(), &probe).map_err(thrown)?;
    if prepared.launch.run_as_node {
        if let Some(notice) = crate::sync::lock(&NO_HELPER_NOTICE).take() {
            sup.warn(notice);
        }
    }
    let started = sup
        .start(Arc::new(prepared.spec), Arc::new(prepared.launch))
        .map_err(thrown)?;
    promise(
        env,
        async move { started.await.map(|info| to_value(&info)) },
    )
}

/// Stops every process named by `target` (`'name'` or `{ name }`).
#[napi(catch_unwind)]
pub(crate) fn stop<'env>(env: &'env Env, target: Value) -> Result<Object<'env>, &'static str> {
    let sup = supervisor(env)?;
    let target = options::parse_target("stop", &target).map_err(thrown)?;
    let stopped = sup.stop(Some(&target));
    promise(env, async move { Ok(to_value(&stopped.await)) })
}

/// Stops, then starts again, every process named by `target`.
#[napi(catch_unwind)]
pub(crate) fn restart<'env>(env: &'env Env, target: Value) -> Result<Object<'env>, &'static str> {
    let sup = supervisor(env)?;
    let target = options::parse_target("restart", &target).map_err(thrown)?;
    let restarted = sup.restart(&target);
    promise(env, async move { restarted.await.map(|v| to_value(&v)) })
}

/// Restarts every service in place; dependents wait for their dependencies to be ready.
#[napi(catch_unwind)]
pub(crate) fn restartall(env: &Env) -> Result<Object<'_>, &'static str> {
    let restarted = supervisor(env)?.restart_all();
    promise(env, async move { restarted.await.map(|v| to_value(&v)) })
}

/// Sends `message` (plain data) to every service named by `target`; returns how many have a
/// channel to take it.
#[napi(catch_unwind)]
pub(crate) fn send(env: Env, target: Value, message: Value) -> Result<u32, &'static str> {
    let sup = supervisor(&env)?;
    let target = options::parse_target("send", &target).map_err(thrown)?;
    Ok(sup.send(Some(&target), &message) as u32)
}

#[napi(catch_unwind)]
pub(crate) fn stopall(env: &Env) -> Result<Object<'_>, &'static str> {
    let stopped = supervisor(env)?.stop(None);
    promise(env, async move { Ok(to_value(&stopped.await)) })
}

/// Stops everything and blocks until done, for `process.on('exit')`, where nothing async can
/// run any more. Bounded by the longest grace period; whatever is left then is killed.
#[napi(catch_unwind)]
pub(crate) fn stopall_sync(env: Env) -> Result<(), &'static str> {
    let sup = supervisor(&env)?;
    let limit = sup.stop_all_bound() + Duration::from_millis(500);
    let stopped = sup.stop(None);
    let done = runtime::get().block_on(async move { tokio::time::timeout(limit, stopped).await });
    if done.is_err() {
        sup.kill_all();
    }
    Ok(())
}

/// Ends what killed runs of this app left behind (recorded in `dir`) on pm's own thread, and
/// records this run's services there from now on. What it ended arrives as a warning.
#[napi(catch_unwind)]
pub(crate) fn use_state_dir(env: Env, dir: String) -> Result<(), &'static str> {
    let sup = supervisor(&env)?;
    let reporter = sup.clone();
    sup.use_state_dir(PathBuf::from(&dir), move |warning| {
        if let Some(warning) = warning {
            reporter.warn(warning);
        }
    })
    .map_err(|e| {
        thrown(PmError::new(
            ErrorKind::StateDir,
            format!("elife/pm: state directory {dir}: {e}"),
        ))
    })
}

/// JS took the last batch of events and its event loop has turned (`binding/events.rs`).
#[napi(catch_unwind)]
pub(crate) fn events_taken() {
    events::taken();
}

/// JS has listeners for `event`, or none any more: events nobody hears are not converted.
#[napi(catch_unwind)]
pub(crate) fn set_heard(event: String, heard: bool) {
    events::set_heard(&event, heard);
}

/// Turns `'log'` events on while JS has listeners for them, off when it has none.
#[napi(catch_unwind)]
pub(crate) fn set_log_listening(env: Env, on: bool) -> Result<(), &'static str> {
    supervisor(&env)?.set_log_listening(on);
    Ok(())
}

#[napi(catch_unwind)]
pub(crate) fn list(env: Env) -> Result<Value, &'static str> {
    Ok(to_value(&supervisor(&env)?.list()))
}

/// Whether pm holds Node's event loop: asked by JS after each batch of events it takes and
/// each API call (`keep_alive.rs`).
#[napi(catch_unwind)]
pub(crate) fn busy(env: Env) -> Result<bool, &'static str> {
    Ok(supervisor(&env)?.busy())
}

/// The stdin and stdout of the one running process `target` names (`stdio: 'pipe'`), or
/// null while none runs; `stdioWho` says whose they are.
#[napi(catch_unwind)]
pub(crate) fn stdio(env: Env, target: Value) -> Result<Option<stdio::Pair>, &'static str> {
    let sup = supervisor(&env)?;
    let target = options::parse_target("stdio", &target).map_err(thrown)?;
    Ok(sup.stdio(&target).map_err(thrown)?.map(External::new))
}

/// `{ id, pid }`: the service and the process a pair belongs to.
#[napi(catch_unwind)]
pub(crate) fn stdio_who(pair: &stdio::Pair) -> Value {
    serde_json::json!({ "id": pair.id, "pid": pair.pid })
}

/// The next chunk of a pair's stdout (a Buffer), or null at its end.
#[napi(catch_unwind)]
pub(crate) fn stdio_read<'env>(
    env: &'env Env,
    pair: &stdio::Pair,
) -> Result<Object<'env>, &'static str> {
    stdio::read(env, pair).map_err(internal)
}

/// A chunk of a pair's stdout if one is there now (a Buffer), null at its end, undefined when
/// the pipe is empty: then `stdioRead` waits.
#[napi(catch_unwind)]
pub(crate) fn stdio_read_now(pair: &stdio::Pair) -> Either3<Buffer, Null, Undefined> {
    stdio::read_now(pair)
}

/// Writes what a pair's stdin takes now: how many bytes of `data` (the rest goes through
/// `stdioWrite`, which waits, and reports any error).
#[napi(catch_unwind)]
pub(crate) fn stdio_write_now(pair: &stdio::Pair, data: Buffer) -> i64 {
    stdio::write_now(pair, &data)
}

/// Writes a chunk to a pair's stdin; settles once the pipe took all of it.
#[napi(catch_unwind)]
pub(crate) fn stdio_write<'env>(
    env: &'env Env,
    pair: &stdio::Pair,
    data: Buffer,
) -> Result<Object<'env>, &'static str> {
    let (stdio, data) = (Arc::clone(pair), data.to_vec());
    promise(env, async move { Ok(stdio::write(stdio, data).await) })
}

/// Ends a pair's stdin once what was written before is written.
#[napi(catch_unwind)]
pub(crate) fn stdio_end<'env>(
    env: &'env Env,
    pair: &stdio::Pair,
) -> Result<Object<'env>, &'static str> {
    let stdio = Arc::clone(pair);
    promise(env, async move {
        stdio.end_stdin().await;
        Ok(Value::Null)
    })
}

/// The app is done with a pair: both pipes close.
#[napi(catch_unwind)]
pub(crate) fn stdio_close(pair: &stdio::Pair) {
    let stdio = Arc::clone(pair);
    runtime::get().spawn(async move { stdio.close().await });
}

/// The most recent lines of the services `target` names, up to `lines`, oldest first.
#[napi(catch_unwind)]
pub(crate) fn logs(env: &Env, target: Value, lines: u32) -> Result<Object<'_>, &'static str> {
    let sup = supervisor(env)?;
    let target = options::parse_target("logs", &target).map_err(thrown)?;
    // A service pm does not know rejects the promise (index.d.ts), it does not throw.
    let read = sup.logs(&target, lines as usize);
    promise(env, async move { read?.await.map(|l| to_value(&l)) })
}

/// What the JS layer and its tests check against the Rust side (`contract.rs`): the option
/// names, event fields, error codes and shared constants.
#[napi(catch_unwind)]
pub(crate) fn contract() -> Value {
    contract::describe()
}
