//! The N-API surface that the JS layer wraps: conversions between JS values and the supervisor,
//! nothing else. Events reach JS through one weak threadsafe function (it never keeps Node's
//! event loop alive by itself: `keep_alive.rs` decides that); promises are settled from the
//! supervisor's runtime. Every function catches panics, so a bug here is a JS exception, never
//! a crash of the main process.
//!
//! The supervisor belongs to the environment that first called `init` (Electron's main process
//! or Node's main thread). Another environment (a worker thread) that loads the addon gets a
//! clear error from every call, and its teardown leaves the owner's services alone.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsDeferred};
use napi_derive::napi;
use serde_json::Value;

use crate::events::Event;
use crate::runtime;
use crate::service::instance::DRAIN_LIMIT;
use crate::start::launch::Host;
use crate::start::options::{self, OptionError};
use crate::start::{self, OsProbe};
use crate::supervisor::Supervisor;

type EventCallback = ThreadsafeFunction<Value, (), Value, Status, false, true>;
type Resolver = Box<dyn FnOnce(Env) -> Result<Value> + Send>;

static SUPERVISOR: OnceLock<Arc<Supervisor>> = OnceLock::new();
/// The owning environment (its `napi_env` as a number); 0 until `init`.
static OWNER: AtomicUsize = AtomicUsize::new(0);
/// The owner's event function; taken out when the owner's environment is torn down.
static EVENTS: std::sync::RwLock<Option<EventCallback>> = std::sync::RwLock::new(None);

const NOT_OWNER: &str = "elife/pm runs in the main thread only (Electron's main process or \
    Node's main thread); it cannot be used from a worker thread or another context";

fn env_id(env: &Env) -> usize {
    env.raw() as usize
}

/// The supervisor, for calls from its owning environment.
fn supervisor(env: &Env) -> Result<&'static Arc<Supervisor>> {
    if OWNER.load(Ordering::SeqCst) != env_id(env) {
        return Err(Error::from_reason(NOT_OWNER));
    }
    SUPERVISOR
        .get()
        .ok_or_else(|| Error::from_reason("elife/pm: init() was not called"))
}

/// Hands an event to JS; false when there is nobody to take it.
fn emit(event: Event) -> bool {
    let Ok(value) = serde_json::to_value(&event) else {
        return false;
    };
    let Ok(guard) = EVENTS.read() else {
        return false;
    };
    // Closing means JS is gone (the environment is tearing down): nothing to tell.
    guard
        .as_ref()
        .is_some_and(|cb| cb.call(value, ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok)
}

fn invalid(e: OptionError) -> Error {
    Error::new(Status::InvalidArg, e.0)
}

/// Runs `fut` on the supervisor's runtime and settles a JS promise with its outcome.
fn promise<'env, F>(env: &'env Env, fut: F) -> Result<Object<'env>>
where
    F: Future<Output = std::result::Result<Value, String>> + Send + 'static,
{
    let (deferred, promise): (JsDeferred<Value, Resolver>, _) = env.create_deferred()?;
    let rt = runtime::get();
    let task = rt.spawn(fut);
    rt.spawn(async move {
        match task.await {
            Ok(Ok(v)) => deferred.resolve(Box::new(move |_| Ok(v))),
            Ok(Err(message)) => deferred.reject(Error::from_reason(message)),
            Err(e) => deferred.reject(Error::from_reason(format!("elife/pm internal error: {e}"))),
        }
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
/// function that receives events. Throws the main-thread-only error in any other environment.
/// A cleanup hook kills whatever still runs when the owner's environment is torn down.
#[napi(catch_unwind)]
pub fn init(
    env: Env,
    exec_path: String,
    node_version: String,
    electron_version: Option<String>,
    on_event: Function<Value, ()>,
) -> Result<()> {
    let me = env_id(&env);
    if OWNER
        .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(Error::from_reason(NOT_OWNER));
    }
    let callback: EventCallback = on_event
        .build_threadsafe_function::<Value>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(|ctx| {
            // On the JS thread, just before the listener runs.
            if let Some(sup) = SUPERVISOR.get() {
                let message = ctx.value.get("type").and_then(Value::as_str) == Some("message");
                sup.delivered(message);
            }
            Ok(ctx.value)
        })?;
    *EVENTS.write().unwrap_or_else(|e| e.into_inner()) = Some(callback);
    let mut exec_path = PathBuf::from(exec_path);
    if cfg!(target_os = "macos") && electron_version.is_some() {
        let (binary, notice) = crate::start::electron_helper::node_binary(
            &exec_path,
            &crate::start::electron_helper::OsFiles,
        );
        exec_path = binary;
        *NO_HELPER_NOTICE.lock().unwrap_or_else(|e| e.into_inner()) = notice;
    }
    // The fuse of the binary that will run Node services (on macOS, its framework's).
    crate::start::electron_fuse::prefetch(&exec_path);
    // Created here, on the JS thread: the spawner thread inherits its normal priority.
    let sup = Supervisor::new(
        Host {
            exec_path,
            pid: std::process::id(),
            node_version: crate::start::launch::parse_node_version(&node_version),
        },
        Arc::new(emit),
        runtime::get().handle().clone(),
    )?;
    let _ = SUPERVISOR.set(sup);
    env.add_env_cleanup_hook((), |_| {
        if let Some(s) = SUPERVISOR.get() {
            s.kill_all();
        }
        // Release the callback while the environment still exists.
        EVENTS.write().unwrap_or_else(|e| e.into_inner()).take();
    })?;
    Ok(())
}

/// Validates the options (throwing on bad input), spawns the service, and returns a promise
/// of its info. `readable` is JS's `fs` check, which sees inside asar archives;
/// `python_helper` gives the directory of pm's Python helper (called for Python services
/// only: it may copy the helper out of an archive); `node_preload` gives the preload of Node
/// services on Electron's binary (called for those only, likewise).
#[napi(catch_unwind)]
pub fn start<'env>(
    env: &'env Env,
    options: Unknown<'env>,
    readable: Function<'env, String, bool>,
    python_helper: Function<'env, (), Option<String>>,
    node_preload: Function<'env, (), Option<String>>,
) -> Result<Object<'env>> {
    let sup = supervisor(env)?;
    let value: Value = env.from_js_value(options).map_err(|e| {
        Error::new(
            Status::InvalidArg,
            format!("pm.start: options must be plain data: {}", e.reason),
        )
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
    let prepared = start::prepare(&value, sup.host(), &probe).map_err(invalid)?;
    if prepared.launch.run_as_node {
        if let Some(notice) = NO_HELPER_NOTICE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            sup.warn(notice);
        }
    }
    let started = sup
        .start(Arc::new(prepared.spec), Arc::new(prepared.launch))
        .map_err(|e| Error::new(Status::InvalidArg, e))?;
    promise(
        env,
        async move { started.await.map(|info| to_value(&info)) },
    )
}

/// Stops every process named by `target` (`'name'` or `{ name }`).
#[napi(catch_unwind)]
pub fn stop<'env>(env: &'env Env, target: Value) -> Result<Object<'env>> {
    let sup = supervisor(env)?;
    let target = options::parse_target("stop", &target).map_err(invalid)?;
    let stopped = sup.stop(Some(&target));
    promise(env, async move { Ok(to_value(&stopped.await)) })
}

/// Stops, then starts again, every process named by `target`.
#[napi(catch_unwind)]
pub fn restart<'env>(env: &'env Env, target: Value) -> Result<Object<'env>> {
    let sup = supervisor(env)?;
    let target = options::parse_target("restart", &target).map_err(invalid)?;
    let restarted = sup.restart(&target);
    promise(env, async move { restarted.await.map(|v| to_value(&v)) })
}

/// Restarts every service in place; dependents wait for their dependencies to be ready.
#[napi(catch_unwind)]
pub fn restartall(env: &Env) -> Result<Object<'_>> {
    let restarted = supervisor(env)?.restart_all();
    promise(env, async move { restarted.await.map(|v| to_value(&v)) })
}

/// Sends `message` (plain data) to every service named by `target`; returns how many have a
/// channel to take it.
#[napi(catch_unwind)]
pub fn send(env: Env, target: Value, message: Value) -> Result<u32> {
    let sup = supervisor(&env)?;
    let target = options::parse_target("send", &target).map_err(invalid)?;
    Ok(sup.send(Some(&target), &message) as u32)
}

#[napi(catch_unwind)]
pub fn stopall(env: &Env) -> Result<Object<'_>> {
    let stopped = supervisor(env)?.stop(None);
    promise(env, async move { Ok(to_value(&stopped.await)) })
}

/// Stops everything and blocks until done, for `process.on('exit')`, where nothing async can
/// run any more. Bounded by the longest grace period; whatever is left then is killed.
#[napi(catch_unwind)]
pub fn stopall_sync(env: Env) -> Result<()> {
    let sup = supervisor(&env)?;
    let limit = sup.longest_stop_timeout() + DRAIN_LIMIT + Duration::from_millis(500);
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
pub fn use_state_dir(env: Env, dir: String) -> Result<()> {
    let sup = supervisor(&env)?;
    let reporter = sup.clone();
    sup.use_state_dir(PathBuf::from(&dir), move |killed| {
        if !killed.is_empty() {
            let groups: Vec<String> = killed.iter().map(u32::to_string).collect();
            reporter.warn(format!(
                "ended {} process group(s) left running by an earlier run of this app that was \
                 killed (process group ids: {})",
                killed.len(),
                groups.join(", ")
            ));
        }
    })
    .map_err(|e| Error::from_reason(format!("elife/pm: state directory {dir}: {e}")))
}

/// Turns `'log'` events on while JS has listeners for them, off when it has none.
#[napi(catch_unwind)]
pub fn set_log_listening(env: Env, on: bool) -> Result<()> {
    supervisor(&env)?.set_log_listening(on);
    Ok(())
}

#[napi(catch_unwind)]
pub fn list(env: Env) -> Result<Value> {
    Ok(to_value(&supervisor(&env)?.list()))
}

/// Whether pm holds Node's event loop: asked by JS after each event it takes and each API
/// call (`keep_alive.rs`).
#[napi(catch_unwind)]
pub fn busy(env: Env) -> Result<bool> {
    Ok(supervisor(&env)?.busy())
}
