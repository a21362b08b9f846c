//! Lifecycle hooks, as docker compose runs them:
//!
//! - `post_start`: each command runs (exec) in a container right after it started, in order;
//! - `pre_stop`: each command runs (exec) in a running container before it is stopped (by
//!   `stop`, `down`, `restart`, and the stop that ends an attached `up`);
//! - `pre_start`: once per service, when none of its containers is running and some are about
//!   to start (first `up`, recreation, `up` after `stop`; not scaling up), each command runs in
//!   a container of its own (`<project>-<service>-pre_start-<index>`, the hook's image, else
//!   the service's), with the service container's volumes (`volumes_from`), on the service's
//!   network and with the service's environment plus the hook's. One at a time, in order; a
//!   failed one is kept for inspection and stops the rest, and the service does not start.
//!
//! A hook that exits non-zero fails the verb with docker compose's words
//! (`web hook exited with status 3: <last lines of its output>`,
//! `service "web" pre_start[1] exited with code 17 (hook container <id> retained for
//! inspection)`). The output of `post_start` and `pre_stop` commands is shown only when `up`
//! is attached, as log lines of `<container> ->`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Mutex;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::StreamExt;

use crate::engine::convert;
use crate::engine::errors::{engine_error, is_conflict};
use crate::engine::exec::{self, ExecAs, Stream};
use crate::engine::labels;
use crate::engine::logs::Line;
use crate::error::{Error, Result};
use crate::ops::logs::{Style, render};
use crate::ops::plan::{ServicePlan, Step};
use crate::project::model::{Project, Service, ServiceHook};

/// How many lines (and bytes) of a failed hook's output its error quotes.
const TAIL_LINES: usize = 10;
const TAIL_BYTES: usize = 2048;

/// Where the output of `post_start` and `pre_stop` commands goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// Nowhere (kept only to explain a failure): detached verbs.
    #[default]
    Quiet,
    /// On standard output as log lines (`web-1 ->  | text`): attached `up`.
    Attached(Style),
}

/// The hooks of a project's services, for the verbs that start and stop its containers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hooks<'a> {
    /// The loaded project (without a compose file there are no hooks to run).
    project: Option<&'a Project>,
    output: Output,
}

impl<'a> Hooks<'a> {
    /// No hooks at all (a verb that found the project by its labels only).
    pub fn none() -> Hooks<'static> {
        Hooks::default()
    }

    /// The hooks `project` declares (none when `None`).
    pub fn of(project: Option<&'a Project>, output: Output) -> Hooks<'a> {
        Hooks { project, output }
    }

    fn service(&self, name: &str) -> Option<&'a Service> {
        self.project?.services.get(name)
    }

    /// Whether `service` has `pre_start` hooks.
    pub fn has_pre_start(&self, service: &str) -> bool {
        self.service(service)
            .is_some_and(|s| !s.pre_start.is_empty())
    }

    /// Run the `post_start` hooks of `service` in its container `id` (just started).
    pub async fn post_start(
        &self,
        docker: &Docker,
        service: &str,
        id: &str,
        name: &str,
    ) -> Result<()> {
        let Some(config) = self.service(service) else {
            return Ok(());
        };
        for hook in &config.post_start {
            self.exec(docker, service, id, name, hook).await?;
        }
        Ok(())
    }

    /// Run the `pre_stop` hooks of `service` in its container `id` (about to be stopped).
    /// A container that is not running has nothing to run them in: nothing happens.
    pub async fn pre_stop(
        &self,
        docker: &Docker,
        service: &str,
        id: &str,
        name: &str,
    ) -> Result<()> {
        let Some(config) = self.service(service) else {
            return Ok(());
        };
        for hook in &config.pre_stop {
            self.exec(docker, service, id, name, hook).await?;
        }
        Ok(())
    }

    /// One hook command in a container; an error with its status when it fails.
    async fn exec(
        &self,
        docker: &Docker,
        service: &str,
        id: &str,
        name: &str,
        hook: &ServiceHook,
    ) -> Result<()> {
        let Some(command) = hook.command.as_ref().filter(|c| !c.is_empty()) else {
            return Ok(());
        };
        let project = self.project.map(|p| p.name.as_str()).unwrap_or_default();
        let label = format!("{} ->", labels::display_name(project, name));
        let mut out = Tail::default();
        let mut err = Tail::default();
        let mut shown = Lines::default();
        let how = exec_as(hook);
        let code = exec::run(docker, id, name, command, &how, true, |stream, bytes| {
            match stream {
                Stream::Stdout => out.push(bytes),
                Stream::Stderr => err.push(bytes),
            }
            if let Output::Attached(style) = self.output {
                for line in shown.push(bytes) {
                    print_line(style, &label, &line);
                }
            }
        })
        .await?;
        if let Output::Attached(style) = self.output
            && let Some(rest) = shown.finish()
        {
            print_line(style, &label, &rest);
        }
        match code {
            // Gone or not running: nothing to run in (compose ignores it too).
            None | Some(0) => Ok(()),
            Some(code) => {
                let output = Some(err.text())
                    .filter(|t| !t.is_empty())
                    .unwrap_or(out.text());
                Err(if output.is_empty() {
                    Error::new(format!("{service} hook exited with status {code}"))
                } else {
                    Error::new(format!(
                        "{service} hook exited with status {code}: {output}"
                    ))
                })
            }
        }
    }

    /// Run the `pre_start` hooks of `service` next to its container `id` (created, not
    /// started), one after the other.
    pub async fn pre_start(&self, docker: &Docker, service: &str, id: &str) -> Result<()> {
        let (Some(project), Some(config)) = (self.project, self.service(service)) else {
            return Ok(());
        };
        if config.pre_start.is_empty() {
            return Ok(());
        }
        if let Some(i) = config.pre_start.iter().position(|h| h.per_replica) {
            return Err(Error::new(format!(
                "service \"{service}\" pre_start[{i}]: per_replica is not yet supported; remove per_replica or set it to false"
            )));
        }
        // Left by a failed run before (its name would be taken).
        remove_pre_start_containers(docker, &project.name, Some(service)).await?;
        for (index, hook) in config.pre_start.iter().enumerate() {
            run_pre_start(docker, project, service, config, id, index, hook).await?;
        }
        Ok(())
    }
}

/// Which services of an `up` run their `pre_start` hooks before their first container starts:
/// those whose every container starts anew (none keeps running, as when scaling up).
#[derive(Debug, Default)]
pub struct PreStartGate(Mutex<HashSet<String>>);

impl PreStartGate {
    /// Decide for `plan`'s service, before its steps run.
    pub fn arm(&self, hooks: &Hooks<'_>, plan: &ServicePlan) {
        let restarts_all = plan
            .steps
            .iter()
            .all(|s| !matches!(s, Step::Keep { .. } | Step::Restart { .. }));
        if restarts_all
            && hooks.has_pre_start(&plan.service)
            && let Ok(mut due) = self.0.lock()
        {
            due.insert(plan.service.clone());
        }
    }

    /// Whether the hooks of `service` are due now (true once: for its first start).
    pub fn take(&self, service: &str) -> bool {
        self.0.lock().is_ok_and(|mut due| due.remove(service))
    }
}

/// How a hook's command runs (`user`, `privileged`, `working_dir`, `environment`).
pub fn exec_as(hook: &ServiceHook) -> ExecAs {
    ExecAs {
        user: hook.user.clone().filter(|u| !u.is_empty()),
        privileged: hook.privileged,
        working_dir: hook.working_dir.clone().filter(|w| !w.is_empty()),
        env: env_list(&hook.environment),
    }
}

fn env_list(env: &std::collections::BTreeMap<String, Option<String>>) -> Vec<String> {
    env.iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect()
}

fn print_line(style: Style, label: &str, text: &str) {
    let line = Line {
        timestamp: String::new(),
        text: text.to_string(),
    };
    let shown = render(style, label, "36", label.len() + 1, &line);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{shown}");
    let _ = out.flush();
}

/// Remove the `pre_start` hook containers of `project` (of `service` only, when given): those
/// that failed and were kept. Silent, as with docker compose.
pub async fn remove_pre_start_containers(
    docker: &Docker,
    project: &str,
    service: Option<&str>,
) -> Result<()> {
    let mut label = vec![
        format!("{}={project}", labels::PROJECT),
        format!("{}={}", labels::HOOK, labels::HOOK_PRE_START),
    ];
    if let Some(service) = service {
        label.push(format!("{}={service}", labels::SERVICE));
    }
    let filters = HashMap::from([("label".to_string(), label)]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let found = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| engine_error("cannot list the pre_start hook containers", &e))?;
    for c in found {
        if let Some(id) = c.id {
            crate::engine::containers::remove(docker, &id, &id, true, true).await?;
        }
    }
    Ok(())
}

/// One `pre_start` hook: create its container, start it, wait for it; removed when it
/// succeeded, kept (and named in the error) when it failed.
async fn run_pre_start(
    docker: &Docker,
    project: &Project,
    service: &str,
    config: &Service,
    target: &str,
    index: usize,
    hook: &ServiceHook,
) -> Result<()> {
    let name = format!("{}-{service}-pre_start-{index}", project.name);
    let image = hook
        .image
        .clone()
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| config.image_name(&project.name, service));
    let network_mode = match &config.network_mode {
        Some(mode) => mode
            .strip_prefix("service:")
            .map(|s| format!("container:{}", convert::first_container(project, s)))
            .unwrap_or_else(|| mode.clone()),
        None => convert::service_network_keys(config)
            .first()
            .map(|key| convert::network_engine_name(project, key))
            .unwrap_or_default(),
    };
    let mut env = env_list(&config.environment);
    env.extend(env_list(&hook.environment));
    let body = ContainerCreateBody {
        image: Some(image),
        cmd: hook.command.clone().filter(|c| !c.is_empty()),
        user: hook.user.clone().filter(|u| !u.is_empty()),
        working_dir: hook.working_dir.clone().filter(|w| !w.is_empty()),
        env: (!env.is_empty()).then_some(env),
        labels: Some(HashMap::from([
            (labels::PROJECT.to_string(), project.name.clone()),
            (labels::SERVICE.to_string(), service.to_string()),
            (
                labels::VERSION.to_string(),
                labels::COMPOSE_VERSION.to_string(),
            ),
            (labels::HOOK.to_string(), labels::HOOK_PRE_START.to_string()),
            (labels::HOOK_INDEX.to_string(), index.to_string()),
        ])),
        host_config: Some(HostConfig {
            privileged: Some(hook.privileged),
            volumes_from: Some(vec![target.to_string()]),
            network_mode: (!network_mode.is_empty()).then_some(network_mode),
            ..Default::default()
        }),
        ..Default::default()
    };
    let failed = |doing: &str, e: &bollard::errors::Error| {
        engine_error(
            format!("service \"{service}\" pre_start[{index}]: cannot {doing} {name}"),
            e,
        )
    };
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .map_err(|e| failed("create", &e))?;
    let id = created.id;
    if let Err(e) = docker.start_container(&id, None).await {
        let _ = crate::engine::containers::remove(docker, &id, &name, true, true).await;
        return Err(failed("start", &e));
    }
    let code = wait_exit(docker, &id)
        .await
        .map_err(|e| failed("wait for", &e))?;
    if code == 0 {
        crate::engine::containers::remove(docker, &id, &name, false, true).await?;
        return Ok(());
    }
    let short: String = id.chars().take(12).collect();
    Err(Error::new(format!(
        "service \"{service}\" pre_start[{index}] exited with code {code} (hook container {short} retained for inspection)"
    ))
    .with_hint(format!("see its output with `docker logs {name}`")))
}

/// Wait for a started container to stop; its exit code.
async fn wait_exit(docker: &Docker, id: &str) -> std::result::Result<i64, bollard::errors::Error> {
    let options = WaitContainerOptionsBuilder::default()
        .condition("not-running")
        .build();
    let mut waiting = docker.wait_container(id, Some(options));
    match waiting.next().await {
        Some(Ok(response)) => return Ok(response.status_code),
        // bollard reports a non-zero exit as an error carrying the code.
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
            return Ok(code);
        }
        Some(Err(e)) if !is_conflict(&e) => return Err(e),
        // No answer: the container state tells.
        _ => {}
    }
    let inspected = docker
        .inspect_container(
            id,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await?;
    Ok(inspected.state.and_then(|s| s.exit_code).unwrap_or(0))
}

/// Splits output into lines as it comes.
#[derive(Default)]
struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    /// The complete lines in what came so far.
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.partial.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(at) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=at).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]);
            lines.push(text.trim_end_matches('\r').to_string());
        }
        lines
    }

    /// What is left after the last newline, if anything.
    fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.partial);
        (!rest.is_empty()).then(|| String::from_utf8_lossy(&rest).into_owned())
    }
}

/// The last lines of a stream (at most [`TAIL_LINES`] and [`TAIL_BYTES`]), for an error.
#[derive(Default)]
struct Tail {
    lines: Lines,
    kept: Vec<String>,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        for line in self.lines.push(bytes) {
            keep(&mut self.kept, line);
        }
    }

    /// The kept lines, oldest first, trimmed.
    fn text(mut self) -> String {
        if let Some(rest) = self.lines.finish() {
            keep(&mut self.kept, rest);
        }
        let text = self.kept.join("\n").trim().to_string();
        if text.len() <= TAIL_BYTES {
            return text;
        }
        let mut from = text.len() - TAIL_BYTES;
        while !text.is_char_boundary(from) {
            from += 1;
        }
        text[from..].to_string()
    }
}

fn keep(kept: &mut Vec<String>, line: String) {
    // A progress bar's `\r` rewrites: the last state is what the user would have seen.
    let line = line.rsplit('\r').next().unwrap_or_default().to_string();
    if line.trim().is_empty() {
        return;
    }
    kept.push(line);
    if kept.len() > TAIL_LINES {
        kept.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_chunks() {
        let mut lines = Lines::default();
        assert!(lines.push(b"hel").is_empty());
        assert_eq!(lines.push(b"lo\r\nwor"), ["hello"]);
        assert_eq!(lines.finish().as_deref(), Some("wor"));
        assert_eq!(lines.finish(), None);
    }

    #[test]
    fn the_tail_keeps_the_last_lines_without_blank_ones() {
        let mut tail = Tail::default();
        for i in 0..15 {
            tail.push(format!("line {i}\n\n").as_bytes());
        }
        tail.push(b"10%\r50%\r100%");
        let text = tail.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "line 6");
        assert_eq!(lines[9], "100%");
    }

    #[test]
    fn a_long_tail_is_cut_to_its_last_bytes() {
        let mut tail = Tail::default();
        tail.push("é".repeat(3000).as_bytes());
        let text = tail.text();
        assert!(text.len() <= TAIL_BYTES);
        assert!(text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn hook_settings_become_the_exec_settings() {
        let hook = ServiceHook {
            user: Some("nobody".to_string()),
            privileged: true,
            working_dir: Some(String::new()),
            environment: [
                ("A".to_string(), Some("1".to_string())),
                ("B".to_string(), None),
            ]
            .into(),
            ..Default::default()
        };
        let how = exec_as(&hook);
        assert_eq!(how.user.as_deref(), Some("nobody"));
        assert!(how.privileged);
        assert_eq!(how.working_dir, None);
        assert_eq!(how.env, ["A=1"]);
    }
}
