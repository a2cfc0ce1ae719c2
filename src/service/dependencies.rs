//! Whether a service may spawn, by its `dependsOn` entries: each dependency is ready (it runs
//! and is ready) or completed (it exited with code 0 and will not run again), as the entry
//! asks; or it failed for good, and the dependent will never start. Pure: the facts come from
//! the live services and the last ending of each name (`Context`). And the other way round,
//! the order of a stop: dependents before what they depend on (`stop_layers`).

use std::collections::HashMap;

use crate::start::checks::{Dependency, RestartPolicy, When};

/// The order in which services stop (`stopall()`, or a stop of several): each layer holds the
/// services (by index) that nothing still running among them depends on; the last layer takes
/// whatever is left of a cycle. Each service is given by its name and the names it depends
/// on. Linear in the services and their dependencies: a stop of a thousand is computed on the
/// JS thread before any of them is asked.
pub(crate) fn stop_layers<'a>(services: &[(Option<&'a str>, Vec<&'a str>)]) -> Vec<Vec<usize>> {
    // A dependency on the service's own name is not a reason to wait for itself.
    let others = |(name, deps): &(Option<&'a str>, Vec<&'a str>)| {
        let name = *name;
        deps.clone().into_iter().filter(move |d| Some(*d) != name)
    };
    // How many services still running depend on each name.
    let mut dependents: HashMap<&str, usize> = HashMap::new();
    for s in services {
        for d in others(s) {
            *dependents.entry(d).or_default() += 1;
        }
    }
    let mut left: Vec<usize> = (0..services.len()).collect();
    let mut layers = Vec::new();
    while !left.is_empty() {
        let needed = |i: &usize| {
            services[*i]
                .0
                .is_some_and(|n| dependents.get(n).is_some_and(|&c| c > 0))
        };
        let (now, later): (Vec<usize>, Vec<usize>) = left.into_iter().partition(|i| !needed(i));
        if now.is_empty() {
            layers.push(later);
            break;
        }
        for &i in &now {
            for d in others(&services[i]) {
                if let Some(c) = dependents.get_mut(d) {
                    *c -= 1;
                }
            }
        }
        layers.push(now);
        left = later;
    }
    layers
}

/// What a live service of a dependency's name looks like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Live {
    pub(crate) name: String,
    /// Running and ready for its dependents.
    pub(crate) ready: bool,
    pub(crate) restart: RestartPolicy,
}

/// How the last service of a name ended, while none of that name is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Exited with code 0 and will not run again.
    Completed,
    /// Ended errored, for this reason.
    Errored(String),
    /// Stopped by the app.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Go,
    Wait,
    /// The dependent will never start: why.
    Fail(String),
}

/// The verdict for `deps`, given the live services and the last ending of each name.
pub(crate) fn verdict(
    deps: &[Dependency],
    live: &[Live],
    ending: impl Fn(&str) -> Option<Ending>,
) -> Verdict {
    let mut go = true;
    for d in deps {
        let mine: Vec<&Live> = live.iter().filter(|l| l.name == d.name).collect();
        let v = if mine.is_empty() {
            after(d, ending(&d.name))
        } else {
            while_live(d, &mine)
        };
        match v {
            Verdict::Go => {}
            Verdict::Wait => go = false,
            fail => return fail,
        }
    }
    if go {
        Verdict::Go
    } else {
        Verdict::Wait
    }
}

fn while_live(d: &Dependency, mine: &[&Live]) -> Verdict {
    match d.when {
        When::Ready if mine.iter().any(|l| l.ready) => Verdict::Go,
        When::Ready => Verdict::Wait,
        When::Completed if mine.iter().all(|l| l.restart == RestartPolicy::Always) => {
            Verdict::Fail(format!(
                "it waits for \"{}\" to complete (dependsOn when: 'completed'), but that \
                 service restarts whenever it exits (restart: 'always'); give it restart: \
                 'on-failure' or 'never'",
                d.name
            ))
        }
        When::Completed => Verdict::Wait,
    }
}

/// No service of the name is live: what its last one did decides.
fn after(d: &Dependency, ending: Option<Ending>) -> Verdict {
    match (d.when, ending) {
        (When::Completed, Some(Ending::Completed)) => Verdict::Go,
        (_, Some(Ending::Errored(why))) => Verdict::Fail(format!(
            "the service it depends on, \"{}\", failed: {why}",
            d.name
        )),
        (When::Ready, Some(Ending::Completed)) => Verdict::Fail(format!(
            "the service it depends on, \"{}\", completed (exited with code 0) and will not be \
             ready again; wait for it with {{ name: \"{}\", when: 'completed' }}",
            d.name, d.name
        )),
        // Not started yet, or stopped by the app: it may be started (again).
        _ => Verdict::Wait,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stop_goes_from_dependents_to_what_they_depend_on() {
        use super::stop_layers;
        let s = |name: Option<&'static str>, deps: &[&'static str]| (name, deps.to_vec());
        // app -> api -> db, worker -> db; an unnamed one and a stranger go first.
        let services = [
            s(Some("db"), &[]),
            s(Some("api"), &["db"]),
            s(Some("app"), &["api", "db"]),
            s(Some("worker"), &["db"]),
            s(None, &["db"]),
            s(Some("lone"), &["not-here"]),
        ];
        assert_eq!(
            stop_layers(&services),
            vec![vec![2, 3, 4, 5], vec![1], vec![0]]
        );
        // Two of a name: both wait for all their dependents.
        let twins = [
            s(Some("db"), &[]),
            s(Some("db"), &[]),
            s(Some("api"), &["db"]),
        ];
        assert_eq!(stop_layers(&twins), vec![vec![2], vec![0, 1]]);
        // A cycle (refused at start(), but never a hang here) ends in one last layer.
        let cycle = [
            s(Some("a"), &["b"]),
            s(Some("b"), &["a"]),
            s(Some("c"), &["a"]),
        ];
        assert_eq!(stop_layers(&cycle), vec![vec![2], vec![0, 1]]);
        // Its own name is no reason to wait.
        assert_eq!(stop_layers(&[s(Some("x"), &["x"])]), vec![vec![0]]);
        assert!(stop_layers(&[]).is_empty());
    }

    use super::*;

    fn dep(name: &str, when: When) -> Dependency {
        Dependency {
            name: name.into(),
            when,
        }
    }

    fn live(name: &str, ready: bool, restart: RestartPolicy) -> Live {
        Live {
            name: name.into(),
            ready,
            restart,
        }
    }

    #[test]
    fn ready_dependencies_are_waited_for_until_one_is_ready() {
        let deps = [dep("db", When::Ready)];
        let none = |_: &str| None;
        assert_eq!(verdict(&deps, &[], none), Verdict::Wait);
        let db = live("db", false, RestartPolicy::Always);
        assert_eq!(
            verdict(&deps, std::slice::from_ref(&db), none),
            Verdict::Wait
        );
        let ready = live("db", true, RestartPolicy::Always);
        assert_eq!(verdict(&deps, &[db, ready], none), Verdict::Go);
        // Stopped by the app: it may be started again.
        assert_eq!(
            verdict(&deps, &[], |_| Some(Ending::Stopped)),
            Verdict::Wait
        );
    }

    #[test]
    fn completed_dependencies_go_once_done_and_fail_when_they_cannot_complete() {
        let deps = [dep("migrate", When::Completed)];
        let running = live("migrate", true, RestartPolicy::Never);
        assert_eq!(verdict(&deps, &[running], |_| None), Verdict::Wait);
        assert_eq!(
            verdict(&deps, &[], |_| Some(Ending::Completed)),
            Verdict::Go
        );
        let always = live("migrate", true, RestartPolicy::Always);
        match verdict(&deps, &[always], |_| None) {
            Verdict::Fail(why) => assert!(why.contains("restart: 'always'"), "{why}"),
            v => panic!("{v:?}"),
        }
        match verdict(&deps, &[], |_| {
            Some(Ending::Errored("exited with code 3".into()))
        }) {
            Verdict::Fail(why) => assert!(why.contains("\"migrate\", failed: exited with code 3")),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_dependency_that_completed_cannot_be_waited_for_as_ready() {
        match verdict(&[dep("task", When::Ready)], &[], |_| {
            Some(Ending::Completed)
        }) {
            Verdict::Fail(why) => assert!(why.contains("when: 'completed'"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn every_dependency_counts_and_the_first_failure_wins() {
        let deps = [dep("db", When::Ready), dep("migrate", When::Completed)];
        let db = live("db", true, RestartPolicy::Always);
        assert_eq!(
            verdict(&deps, std::slice::from_ref(&db), |_| None),
            Verdict::Wait
        );
        assert_eq!(
            verdict(&deps, &[db], |n| (n == "migrate")
                .then_some(Ending::Completed)),
            Verdict::Go
        );
    }
}
