//! The N-API surface that `lib/manager.js` wraps: thin conversions between JS values and the
//! supervisor. Events reach JS through one weak threadsafe function (it never keeps Node's
//! event loop alive); promises are settled from the supervisor's runtime. Every function
//! catches panics, so a bug here is a JS exception, never a crash of the main process.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsDeferred};
use napi_derive::napi;
use serde_json::Value;

use crate::events::Event;
use crate::launch::{self, Host, Probe};
use crate::options::{self, OptionError};
use crate::process::DRAIN_LIMIT;
use crate::runtime;
use crate::supervisor::Supervisor;

type EventCallback = ThreadsafeFunction<Value, (), Value, Status, false, true>;
type Resolver = Box<dyn FnOnce(Env) -> Result<Value> + Send>;

static SUPERVISOR: OnceLock<Arc<Supervisor>> = OnceLock::new();
static EVENTS: RwLock<Option<EventCallback>> = RwLock::new(None);
/// Events sent to JS and not yet delivered. The event function is weak, so its queue alone
/// would not keep Node running: JS keeps its loop alive while this is above zero too, or the
/// last `exit` event could be lost when the process has nothing else to do.
static UNDELIVERED: AtomicUsize = AtomicUsize::new(0);

fn supervisor() -> Result<&'static Arc<Supervisor>> {
    SUPERVISOR
        .get()
        .ok_or_else(|| Error::from_reason("elife/pm: init() was not called"))
}

fn emit(event: Event) {
    let Ok(value) = serde_json::to_value(&event) else {
        return;
    };
    if let Ok(guard) = EVENTS.read() {
        if let Some(cb) = guard.as_ref() {
            UNDELIVERED.fetch_add(1, Ordering::SeqCst);
            // Closing means JS is gone (the environment is tearing down): nothing to tell.
            if cb.call(value, ThreadsafeFunctionCallMode::NonBlocking) != Status::Ok {
                UNDELIVERED.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
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

/// Sets up the supervisor once per process: the binary that runs Node services and the JS
/// function that receives events. A cleanup hook kills whatever still runs when the
/// environment is torn down.
#[napi(catch_unwind)]
pub fn init(
    env: Env,
    exec_path: String,
    python_helper: Option<String>,
    on_event: Function<Value, ()>,
) -> Result<()> {
    let callback: EventCallback = on_event
        .build_threadsafe_function::<Value>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(|ctx| {
            // On the JS thread, just before the listener runs.
            UNDELIVERED.fetch_sub(1, Ordering::SeqCst);
            Ok(ctx.value)
        })?;
    *EVENTS.write().unwrap_or_else(|e| e.into_inner()) = Some(callback);
    if SUPERVISOR.get().is_none() {
        // Created here, on the JS thread: the spawner thread inherits its normal priority.
        let sup = Supervisor::new(
            Host {
                exec_path: PathBuf::from(exec_path),
                pid: std::process::id(),
                python_helper: python_helper.map(PathBuf::from),
            },
            Arc::new(emit),
            runtime::get().handle().clone(),
        )?;
        let _ = SUPERVISOR.set(sup);
    }
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
/// of its info. `exists` is JS's `fs` check, which sees inside asar archives.
#[napi(catch_unwind)]
pub fn start<'env>(
    env: &'env Env,
    options: Unknown<'env>,
    exists: Function<'env, String, bool>,
) -> Result<Object<'env>> {
    let value: Value = env.from_js_value(options).map_err(|e| {
        Error::new(
            Status::InvalidArg,
            format!(
                "pm.start: options must be plain data (strings, numbers, arrays, objects): {}",
                e.reason
            ),
        )
    })?;
    let cwd = std::env::current_dir()?;
    let spec = options::parse_start(&value, &cwd, |p| p.exists()).map_err(invalid)?;
    if !exists.call(spec.script.to_string_lossy().into_owned())? {
        return Err(Error::new(
            Status::InvalidArg,
            format!("pm.start: script {} does not exist", spec.script.display()),
        ));
    }
    if !spec.cwd.is_dir() {
        return Err(Error::new(
            Status::InvalidArg,
            format!("pm.start: cwd {} is not a directory", spec.cwd.display()),
        ));
    }
    let sup = supervisor()?;
    let var = |k: &str| std::env::var(k).ok();
    let probe = Probe {
        var: &var,
        is_executable: &crate::os::fs::is_executable,
        cwd: &cwd,
    };
    let launch = launch::plan(&spec, sup.host(), &probe).map_err(invalid)?;
    let started = sup.start(Arc::new(spec), Arc::new(launch));
    promise(
        env,
        async move { started.await.map(|info| to_value(&info)) },
    )
}

/// Stops every process named by `target` (`'name'` or `{ name }`).
#[napi(catch_unwind)]
pub fn stop<'env>(env: &'env Env, target: Value) -> Result<Object<'env>> {
    let target = options::parse_target("stop", &target).map_err(invalid)?;
    let sup = supervisor()?.clone();
    promise(
        env,
        async move { Ok(to_value(&sup.stop(Some(&target)).await)) },
    )
}

/// Stops, then starts again, every process named by `target`.
#[napi(catch_unwind)]
pub fn restart<'env>(env: &'env Env, target: Value) -> Result<Object<'env>> {
    let target = options::parse_target("restart", &target).map_err(invalid)?;
    let sup = supervisor()?.clone();
    promise(env, async move {
        sup.restart(&target).await.map(|v| to_value(&v))
    })
}

#[napi(catch_unwind)]
pub fn stopall(env: &Env) -> Result<Object<'_>> {
    let sup = supervisor()?.clone();
    promise(env, async move { Ok(to_value(&sup.stop(None).await)) })
}

/// Stops everything and blocks until done, for `process.on('exit')`, where nothing async can
/// run any more. Bounded by the longest grace period; whatever is left then is killed.
#[napi(catch_unwind)]
pub fn stopall_sync() -> Result<()> {
    let sup = supervisor()?.clone();
    let grace = sup.longest_stop_timeout();
    let limit = grace + DRAIN_LIMIT + Duration::from_millis(500);
    let done = runtime::get().block_on(async move {
        let stopping = sup.clone();
        tokio::time::timeout(limit, async move { stopping.stop(None).await })
            .await
            .is_ok()
    });
    if !done {
        supervisor()?.kill_all();
    }
    Ok(())
}

/// Ends what killed runs of this app left behind (recorded in `dir`), and records this run's
/// services there from now on. Returns how many process groups it ended.
#[napi(catch_unwind)]
pub fn use_state_dir(dir: String) -> Result<u32> {
    let killed = supervisor()?
        .use_state_dir(PathBuf::from(&dir))
        .map_err(|e| Error::from_reason(format!("elife/pm: state directory {dir}: {e}")))?;
    Ok(killed.len() as u32)
}

/// Turns `'log'` events on while JS has listeners for them, off when it has none.
#[napi(catch_unwind)]
pub fn set_log_listening(on: bool) -> Result<()> {
    supervisor()?.set_log_listening(on);
    Ok(())
}

#[napi(catch_unwind)]
pub fn list() -> Result<Value> {
    Ok(to_value(&supervisor()?.list()))
}

/// Whether pm has a reason to keep the event loop alive: a service running or waiting to
/// restart, or an event on its way to JS.
#[napi(catch_unwind)]
pub fn busy() -> Result<bool> {
    Ok(supervisor()?.alive() > 0 || UNDELIVERED.load(Ordering::SeqCst) > 0)
}
