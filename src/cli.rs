//! The stack runner: turns any stack program into a command line.
//!
//! ```no_run
//! use strata::prelude::*;
//!
//! fn main() -> std::process::ExitCode {
//!     let stack = Stack::new("demo", "eu-central-1");
//!     strata::cli::run(stack)
//! }
//! ```
//!
//! Subcommands: `plan` (default), `apply [--yes]`, `destroy [--yes]`,
//! `outputs [--json]`, `graph [--format dot|text]`. Exit codes: 0 success, 1
//! failure, 2 "the plan has changes" under `plan --detailed-exitcode`.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use strata_aws::{Aws, AwsSettings};
use strata_core::{Stack, Value};
use strata_engine::index::IndexStore;
use strata_engine::lock::{LockBackend, LockInfo, LockPolicy};
use strata_engine::{CallCounter, CallStats, DepGraph, Engine, EngineConfig, Event, Operation, Plan, Report, Selection, Status};

/// Command-line arguments of a stack program.
#[derive(Debug, Parser)]
#[command(about = "Plan, apply or destroy this strata stack", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Most resources changed at once.
    #[arg(long, global = true, default_value_t = 16, env = "STRATA_PARALLELISM")]
    pub parallelism: usize,
    /// Run the program under another stack name (a separate copy of every resource).
    #[arg(long, global = true, env = "STRATA_STACK")]
    pub stack: Option<String>,
    /// AWS region for resources without their own (overrides the program's).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named AWS profile.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator). `AWS_ENDPOINT_URL` works too.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// When another run holds the stack's lock, wait up to this many seconds
    /// for it (default: fail at once, naming the holder).
    #[arg(long, global = true, default_value_t = 0, value_name = "SECONDS", env = "STRATA_WAIT_LOCK")]
    pub wait_lock: u64,
    /// Plan, apply or destroy only this resource and what it depends on (a
    /// destroy: and what depends on it). Repeatable. The plan says it is partial.
    #[arg(long = "target", global = true, value_name = "NAME")]
    pub targets: Vec<String>,
    /// With `--target` (plan and apply): also what depends on the targets.
    #[arg(long, global = true)]
    pub target_dependents: bool,
    /// Leave this resource out, with what depends on it (a destroy: with what
    /// it depends on). Repeatable.
    #[arg(long = "exclude", global = true, value_name = "NAME")]
    pub exclude: Vec<String>,
    /// Plan and apply: replace this resource even where nothing changed
    /// (repeatable); its dependents move to the new copy.
    #[arg(long = "replace", global = true, value_name = "NAME")]
    pub replace: Vec<String>,
    /// Ignore the stack's discovery index: list every kind in every region
    /// the program names and in every region where the tagging API finds
    /// something of the stack, as a first run does (an apply then records
    /// what this full discovery found).
    #[arg(long, global = true)]
    pub rescan: bool,
    /// Testing: inject faults below the SDK, e.g. `0.3` or
    /// `rate=0.3,seed=7,kinds=throttle+5xx+slow+not-found` (see `strata_aws::faults`).
    #[arg(long, global = true, env = "STRATA_INJECT_FAULTS", hide = true)]
    pub inject_faults: Option<String>,
    /// Testing: SIGKILL this process after this many mutating API calls (the crash sweep).
    #[arg(long, global = true, env = "STRATA_TEST_KILL_AFTER_MUTATING_CALLS", hide = true)]
    pub kill_after_mutating_calls: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change (the default).
    Plan {
        /// Exit 2 when the plan has changes, 0 when it has none.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Make the cloud match the program.
    Apply {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Delete every resource of the stack.
    Destroy {
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Print the stack outputs.
    Outputs,
    /// Remove the stack's lock left by a run that died (check that it did).
    ForceUnlock,
    /// Print the dependency graph.
    Graph {
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Text,
}

/// Parse the process arguments and run. Use as the body of `main`.
pub fn run(stack: Stack) -> ExitCode {
    run_with(stack, Args::parse())
}

/// Run with explicit arguments (tests use this).
pub fn run_with(stack: Stack, args: Args) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(stack, args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {}", message.trim_end());
            ExitCode::from(1)
        }
    }
}

/// Log lines to stderr, filtered by `RUST_LOG` (`debug`, `strata_engine=debug,warn`,
/// ...: levels per target, the `Targets` syntax); `warn` when it is unset.
fn init_tracing() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let warn = Targets::new().with_default(LevelFilter::WARN);
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => spec.parse().unwrap_or_else(|e| {
            eprintln!("warning: RUST_LOG={spec:?} is not a log filter ({e}); logging warnings only");
            warn
        }),
        _ => warn,
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = tracing_subscriber::registry().with(layer).with(filter).try_init();
}

async fn execute(mut stack: Stack, args: Args) -> Result<ExitCode, String> {
    if let Some(name) = &args.stack {
        stack.set_name(name.clone());
    }
    if let Some(region) = &args.region {
        stack.set_region(region.clone());
    }
    let command = args.command.unwrap_or(Command::Plan { detailed_exitcode: false });
    if let Command::Graph { format } = command {
        let graph = DepGraph::build(&stack);
        let cycles = graph.cycles(&stack);
        if !cycles.is_empty() {
            return Err(strata_core::Invalid(cycles).to_string());
        }
        match format {
            GraphFormat::Dot => print!("{}", graph.to_dot(&stack)),
            GraphFormat::Text => print!("{}", graph.to_text(&stack)),
        }
        return Ok(ExitCode::SUCCESS);
    }

    let faults = match &args.inject_faults {
        Some(spec) => Some(strata_aws::faults::FaultPlan::parse(spec)?),
        None => None,
    };
    let settings = AwsSettings {
        region: Some(stack.region().to_string()),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        static_credentials: None,
        faults,
        kill_after_mutating_calls: args.kill_after_mutating_calls,
        ..AwsSettings::default()
    };
    let aws = Aws::connect(settings).await.map_err(|e| e.to_string())?;
    aws.check_credentials().await.map_err(|e| e.to_string())?;
    let counter: Arc<dyn CallCounter> = aws.counter();
    let config = EngineConfig { parallelism: args.parallelism.max(1), ..EngineConfig::default() };
    let engine = Engine::new(crate::aws::registry(&aws)).with_config(config);
    let json = args.json;
    let selection = Selection { targets: args.targets.clone(), with_dependents: args.target_dependents, exclude: args.exclude.clone() };
    let replace = args.replace.clone();
    let cut = Cut { selection: &selection, replace: &replace };
    if !replace.is_empty() && matches!(command, Command::Destroy { .. }) {
        return Err("`--replace` is for plan and apply, not destroy".to_string());
    }

    let outcome = match command {
        Command::Plan { detailed_exitcode } => {
            let started = Instant::now();
            // Read-only: the index is read if it exists; nothing is created.
            let engine = with_index(engine, stack_index(&aws, &stack).await, args.rescan, &aws, &stack);
            let plan = cut.plan(&engine, &stack, Operation::Apply).await?;
            let calls = counter.snapshot();
            if json {
                print_json(&serde_json::json!({ "plan": plan.to_json(), "api_calls": calls, "elapsed_s": started.elapsed().as_secs_f64() }));
            } else {
                print!("{}", plan.render_text());
                println!("{}", render_calls(&calls, started.elapsed()));
            }
            Ok(if detailed_exitcode && plan.has_changes() { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
        Command::ForceUnlock => {
            let (locks, _) = stack_locks(&aws, &stack).await?;
            locks.force_unlock(stack.name()).await.map_err(|e| e.to_string())?;
            println!("The lock of stack `{}` is removed.", stack.name());
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply { yes } | Command::Destroy { yes } => {
            let destroy = matches!(command, Command::Destroy { .. });
            // One run of a stack at a time: the lock is held from the plan to the end.
            let (locks, index) = stack_locks(&aws, &stack).await?;
            let engine = with_index(engine, index, args.rescan, &aws, &stack);
            let info = LockInfo::new(if destroy { "destroy" } else { "apply" }, &crate::host::LocalHost);
            let policy = LockPolicy { wait: Duration::from_secs(args.wait_lock), ..LockPolicy::default() };
            strata_engine::lock::acquire(locks.as_ref(), &crate::host::LocalHost, stack.name(), &info, policy).await.map_err(|e| e.to_string())?;
            let result = apply_or_destroy(&engine, &stack, &cut, destroy, yes, json, counter.as_ref()).await;
            if let Err(e) = locks.release(stack.name(), &info).await {
                eprintln!("warning: could not release the lock of stack `{}`: {e}", stack.name());
            }
            result
        }
        Command::Outputs => {
            let engine = with_index(engine, stack_index(&aws, &stack).await, args.rescan, &aws, &stack);
            let plan = engine.plan(&stack).await.map_err(|e| e.to_string())?;
            if json {
                print_json(&serde_json::to_value(&plan.exports).unwrap_or_default());
            } else {
                for (k, v) in &plan.exports {
                    println!("{k} = {}", display_output(v));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph { .. } => Ok(ExitCode::SUCCESS),
    };
    if let Some(stats) = aws.fault_stats() {
        eprintln!("Fault injection: {stats}");
    }
    outcome
}

/// What the command line asks of a whole plan: forced replacements, then a
/// targeted part (`--replace`, `--target`, `--exclude`).
struct Cut<'a> {
    selection: &'a Selection,
    replace: &'a [String],
}

impl Cut<'_> {
    async fn plan(&self, engine: &Engine, stack: &Stack, operation: Operation) -> Result<Plan, String> {
        engine.plan_part(stack, operation, self.selection, self.replace).await.map_err(|e| e.to_string())
    }
}

/// Plan, confirm and run an apply or a destroy (the stack's lock is held).
async fn apply_or_destroy(
    engine: &Engine,
    stack: &Stack,
    cut: &Cut<'_>,
    destroy: bool,
    yes: bool,
    json: bool,
    counter: &dyn CallCounter,
) -> Result<ExitCode, String> {
    let started = Instant::now();
    let plan = cut.plan(engine, stack, if destroy { Operation::Destroy } else { Operation::Apply }).await?;
    if !json {
        print!("{}", plan.render_text());
    }
    if !plan.has_changes() {
        // Nothing to change, but the discovery index may be missing or wider than what exists.
        if let Err(e) = engine.record_index(stack, &plan).await {
            eprintln!("warning: could not record the stack's discovery index (the next plan lists every kind): {e}");
        }
        let report = empty_report(&plan, started.elapsed(), counter.snapshot());
        finish(&report, json);
        return Ok(ExitCode::SUCCESS);
    }
    if !yes && !confirm(destroy)? {
        eprintln!("Cancelled; nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    let report = run_with_progress(engine, stack, plan, started, counter).await;
    finish(&report, json);
    Ok(if report.is_success() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

type Locks = Box<dyn LockBackend>;
type Index = Option<Arc<dyn IndexStore>>;

/// `engine` reading and writing `index` (ignoring what it holds with
/// `--rescan`). Where there is no index to read, the account's regions are
/// scanned for the stack's tags (with the `ec2` feature), so that a stack
/// whose index was lost is still pruned in every region it used.
fn with_index(engine: Engine, index: Index, rescan: bool, aws: &Aws, stack: &Stack) -> Engine {
    let Some(ix) = index else { return engine };
    let ix: Arc<dyn IndexStore> = if rescan { Arc::new(strata_engine::index::Rescan(ix)) } else { ix };
    #[cfg(feature = "ec2")]
    let ix: Arc<dyn IndexStore> = Arc::new(strata_aws_ec2::regions::RegionScan::new(aws, stack.region(), ix));
    #[cfg(not(feature = "ec2"))]
    let _ = (aws, stack);
    engine.with_index(ix)
}

/// The lock store of the stack's account and region (an S3 bucket, created
/// if missing), which also keeps the stack's discovery index.
#[cfg(feature = "s3")]
async fn stack_locks(aws: &Aws, stack: &Stack) -> Result<(Locks, Index), String> {
    match strata_aws_s3::S3Locks::open(aws, stack.region()).await {
        Ok(l) => Ok((Box::new(l.clone()), Some(Arc::new(l)))),
        Err(e) => Err(format!("cannot open the stack lock store (set STRATA_LOCK_BUCKET to choose the bucket): {e}")),
    }
}

/// The stack's discovery index for a plan, read from the lock store without creating it.
#[cfg(feature = "s3")]
async fn stack_index(aws: &Aws, stack: &Stack) -> Index {
    match strata_aws_s3::S3Locks::open_existing(aws, stack.region()).await {
        Ok(l) => Some(Arc::new(l)),
        // The index only saves calls: without it the plan lists every kind.
        Err(e) => {
            eprintln!("warning: cannot find the stack lock store ({e}); every kind is listed");
            None
        }
    }
}

/// Built without S3 there is nowhere to keep locks: runs are not serialised.
#[cfg(not(feature = "s3"))]
async fn stack_locks(_aws: &Aws, _stack: &Stack) -> Result<(Locks, Index), String> {
    eprintln!("warning: built without the `s3` feature: concurrent runs of this stack are not locked out");
    Ok((Box::new(strata_engine::lock::MemoryLocks::default()), None))
}

/// Built without S3 there is no discovery index: every plan lists every kind.
#[cfg(not(feature = "s3"))]
async fn stack_index(_aws: &Aws, _stack: &Stack) -> Index {
    None
}

fn display_output(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn confirm(destroy: bool) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "refusing to {} without --yes: standard input is not a terminal",
            if destroy { "destroy" } else { "apply" }
        ));
    }
    print!(
        "\nDo you want to {}? Only 'yes' will be accepted: ",
        if destroy { "DESTROY every resource of this stack" } else { "apply these changes" }
    );
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(line.trim() == "yes")
}

fn empty_report(plan: &Plan, elapsed: Duration, calls: CallStats) -> Report {
    Report {
        stack: plan.stack.clone(),
        operation: plan.operation,
        outcomes: Vec::new(),
        elapsed,
        cancelled: false,
        max_in_flight: 0,
        exports: plan.exports.clone(),
        api_calls: Some(calls),
    }
}

async fn run_with_progress(
    engine: &Engine,
    stack: &Stack,
    plan: Plan,
    started: Instant,
    counter: &dyn CallCounter,
) -> Report {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = engine.clone().with_events(tx);
    let cancel = engine.cancel_token();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nInterrupted: starting nothing new, waiting for the calls in flight (Ctrl-C again to abort)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let tty = std::io::stderr().is_terminal();
    let progress = tokio::spawn(async move {
        let mut view = Progress::new(tty);
        while let Some(ev) = rx.recv().await {
            view.event(ev);
        }
        view.done();
    });
    let mut report = engine.apply(stack, plan).await;
    drop(engine);
    let _ = progress.await;
    ctrl_c.abort();
    report.elapsed = started.elapsed();
    report.api_calls = Some(counter.snapshot());
    report
}

/// A live view on a terminal, plain timestamped lines otherwise.
struct Progress {
    bars: Option<indicatif::MultiProgress>,
    spinners: BTreeMap<String, indicatif::ProgressBar>,
    start: Instant,
}

impl Progress {
    fn new(tty: bool) -> Self {
        Progress { bars: tty.then(indicatif::MultiProgress::new), spinners: BTreeMap::new(), start: Instant::now() }
    }

    fn line(&self, text: String) {
        let ts = self.start.elapsed().as_secs_f64();
        match &self.bars {
            Some(b) => {
                let _ = b.println(format!("[{ts:7.1}s] {text}"));
            }
            None => eprintln!("[{ts:7.1}s] {text}"),
        }
    }

    fn event(&mut self, ev: Event) {
        match ev {
            Event::Started { name, action } => {
                if let Some(bars) = &self.bars {
                    let sp = bars.add(indicatif::ProgressBar::new_spinner());
                    sp.set_message(format!("{action:?} {name}"));
                    sp.enable_steady_tick(Duration::from_millis(120));
                    self.spinners.insert(name.clone(), sp);
                }
                self.line(format!("{} {name}: {action:?} started", action.symbol()));
            }
            Event::Retrying { name, attempt, error } => {
                self.line(format!("  {name}: retry {attempt} after {error}"));
            }
            Event::Finished { name, status, elapsed } => {
                if let Some(sp) = self.spinners.remove(&name) {
                    sp.finish_and_clear();
                }
                let mark = if status == Status::Failed { "✗" } else { "✓" };
                self.line(format!("{mark} {name}: {status:?} ({:.1}s)", elapsed.as_secs_f64()));
            }
        }
    }

    fn done(&mut self) {
        for (_, sp) in std::mem::take(&mut self.spinners) {
            sp.finish_and_clear();
        }
    }
}

fn finish(report: &Report, json: bool) {
    if json {
        print_json(&report.to_json());
    } else {
        print!("{}", render_report(report));
    }
}

/// The end-of-run report: counts, failures, elapsed time, API calls.
pub fn render_report(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let counts = report.counts();
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {}", format!("{k:?}").to_lowercase())).collect();
    let verb = match report.operation {
        strata_engine::Operation::Apply => "Apply",
        strata_engine::Operation::Destroy => "Destroy",
    };
    let result = if report.cancelled {
        "cancelled"
    } else if report.is_success() {
        "complete"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        s,
        "\n{verb} {result}: {} in {:.1}s.",
        if parts.is_empty() { "nothing to do".to_string() } else { parts.join(", ") },
        report.elapsed.as_secs_f64()
    );
    for o in &report.outcomes {
        if matches!(o.status, Status::Failed | Status::Skipped) {
            let _ = writeln!(s, "  {:?} {} ({}): {}", o.status, o.name, o.kind, o.detail.as_deref().unwrap_or(""));
        }
    }
    if let Some(calls) = &report.api_calls {
        s.push_str(&render_calls(calls, report.elapsed));
        s.push('\n');
    }
    if !report.exports.is_empty() {
        let _ = writeln!(s, "\nOutputs:");
        for (k, v) in &report.exports {
            let _ = writeln!(s, "  {k} = {}", display_output(v));
        }
    }
    s
}

/// The API-call table: per service and operation, with retries and throttles.
pub fn render_calls(calls: &CallStats, elapsed: Duration) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = write!(
        s,
        "\nAPI calls: {} ({} mutating, {} retries, {} throttled) in {:.1}s",
        calls.total_calls(),
        calls.mutating_calls(),
        calls.retries(),
        calls.throttles(),
        elapsed.as_secs_f64()
    );
    for ((service, op), c) in &calls.rows {
        let _ = write!(s, "\n  {service:<24} {op:<40} {:>5}", c.calls);
        if c.retries > 0 || c.throttles > 0 {
            let _ = write!(s, "  ({} retries, {} throttled)", c.retries, c.throttles);
        }
    }
    s
}
