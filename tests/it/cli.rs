//! The stack runner, end to end: the example binaries against moto.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use strata_aws_testkit::{unique_stack, Emulator};

/// The example binary (`just test` runs `cargo build --examples` first).
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/it-<hash> -> target/debug/examples/<name>
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(path.exists(), "{} is not built: `just test` builds the examples first", path.display());
    path
}

fn run(args: &[&str], stack: &str, endpoint: &str) -> Output {
    run_example("network", args, stack, endpoint)
}

fn run_example(name: &str, args: &[&str], stack: &str, endpoint: &str) -> Output {
    Command::new(example(name))
        .args(args)
        .args(["--stack", stack])
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The graph must parse as DOT (layout-rs's parser), with one node statement
/// per resource and `edges` edges at least; when Graphviz is installed, `dot`
/// must accept it too.
fn assert_valid_dot(dot: &str, nodes: usize, edges: usize) {
    use layout::gv::parser::ast::Stmt;
    assert!(layout::gv::DotParser::new("digraph g { \"a\" -> ; }").process().is_err(), "the parser rejects broken DOT");
    let mut parser = layout::gv::DotParser::new(dot);
    let graph = parser.process().unwrap_or_else(|e| panic!("not valid DOT ({e}):\n{dot}"));
    let count = |f: fn(&Stmt) -> bool| graph.list.list.iter().filter(|s| f(s)).count();
    assert_eq!(count(|s| matches!(s, Stmt::Node(_))), nodes, "{dot}");
    assert!(count(|s| matches!(s, Stmt::Edge(_))) >= edges, "{dot}");
    if Command::new("dot").arg("-V").output().is_ok() {
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "graphviz rejected the graph: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn graph_prints_valid_dot_and_text() {
    let out = run(&["graph", "--format", "dot"], "graph-only", "http://127.0.0.1:9");
    assert!(out.status.success(), "{}", text(&out));
    assert_valid_dot(&String::from_utf8_lossy(&out.stdout), 11, 12);
    let out = run(&["graph", "--format", "text"], "graph-only", "http://127.0.0.1:9");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("<- "));
}

#[test]
fn miamo_prod_graph_is_valid_dot() {
    let out = run_example("prod", &["graph", "--format", "dot"], "miamo-prod", "http://127.0.0.1:9");
    assert!(out.status.success(), "{}", text(&out));
    // 68 managed resources and the Ubuntu image lookup; every subnet, group,
    // instance and store hangs off something.
    assert_valid_dot(&String::from_utf8_lossy(&out.stdout), 69, 101);
}

#[test]
fn plan_apply_outputs_destroy_with_exit_codes() {
    let stack = unique_stack("cli");
    let url = Emulator::Moto.url();

    let plan = run(&["plan", "--detailed-exitcode"], &stack, &url);
    assert_eq!(plan.status.code(), Some(2), "changes pending: {}", text(&plan));
    assert!(text(&plan).contains("to create"));

    let refused = run(&["apply"], &stack, &url);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("refusing to apply without --yes"), "{}", text(&refused));

    let apply = run(&["apply", "--yes", "--json"], &stack, &url);
    assert!(apply.status.success(), "{}", text(&apply));
    let stdout = String::from_utf8_lossy(&apply.stdout);
    let json_start = stdout.find("\n{").map(|i| i + 1).unwrap_or(0);
    let report: serde_json::Value = serde_json::from_str(&stdout[json_start..]).unwrap();
    assert!(report["outcomes"].as_array().unwrap().iter().all(|o| o["status"] == "created"), "{report}");
    let calls = report["api_calls"]["rows"].as_array().unwrap();
    assert!(calls.iter().any(|r| r["operation"] == "CreateVpc" && r["calls"] == 1), "{report}");

    let again = run(&["plan", "--detailed-exitcode"], &stack, &url);
    assert_eq!(again.status.code(), Some(0), "no changes after apply: {}", text(&again));

    let outputs = run(&["outputs", "--json"], &stack, &url);
    assert!(outputs.status.success());
    let o: serde_json::Value = serde_json::from_slice(&outputs.stdout).unwrap();
    assert!(o["vpc_id"].as_str().unwrap().starts_with("vpc-"), "{o}");

    let destroy = run(&["destroy", "--yes"], &stack, &url);
    assert!(destroy.status.success(), "{}", text(&destroy));
    assert!(text(&destroy).contains("Destroy complete"), "{}", text(&destroy));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(async {
        let client = strata_aws_testkit::ec2_client(&url, "eu-central-1").await;
        strata_aws_testkit::ec2_leftovers(&client, &stack).await
    });
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn missing_credentials_give_one_clear_line() {
    let home = std::env::temp_dir().join(unique_stack("no-home"));
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(example("network"))
        .arg("plan")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", Emulator::Moto.url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, not a stack trace: {stderr}");
    assert!(lines[0].starts_with("error: no AWS credentials found"), "{stderr}");
}

/// Two applies of one stack started together never both change it: the lock
/// (an S3 object written with `If-None-Match: *`) serialises them, the second
/// finds nothing to do, and an independent inventory counts one of everything.
/// A lock held by someone else is refused with the holder's name, waited for
/// with `--wait-lock`, and removed with `force-unlock`.
#[test]
fn concurrent_applies_are_serialised_by_the_stack_lock() {
    let stack = unique_stack("lock");
    let url = Emulator::Moto.url();
    let bucket = format!("strata-locks-test-{}", std::process::id());
    let start = |args: &[&str]| {
        Command::new(example("network"))
            .args(args)
            .args(["--stack", &stack])
            .env("AWS_ENDPOINT_URL", &url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("STRATA_LOCK_BUCKET", &bucket)
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };

    let (a, b) = (start(&["apply", "--yes", "--wait-lock", "120"]), start(&["apply", "--yes", "--wait-lock", "120"]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{}\n{}", text(&a), text(&b));
    let created = [&a, &b].iter().filter(|o| text(o).contains("Apply complete: 11 created")).count();
    let nothing = [&a, &b].iter().filter(|o| text(o).contains("No changes.")).count();
    assert_eq!((created, nothing), (1, 1), "one run applied, the other found nothing to do:\n{}\n{}", text(&a), text(&b));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(async {
        let client = strata_aws_testkit::ec2_client(&url, "eu-central-1").await;
        strata_aws_testkit::ec2_leftovers(&client, &stack).await
    });
    let count = |kind: &str| left.iter().filter(|l| l.starts_with(&format!("{kind} "))).count();
    assert_eq!((count("vpc"), count("subnet"), count("eip")), (1, 4, 1), "{left:?}");

    // Someone else's lock: refused with the holder, then force-unlocked.
    let s3 = rt.block_on(async {
        let conf = strata_aws_testkit::sdk_config(&url, "eu-central-1").await;
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build())
    });
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let held = format!(r#"{{"owner":"tester","host":"ci-host","pid":7,"since":{since},"operation":"apply","id":"someone-else"}}"#);
    rt.block_on(s3.put_object().bucket(&bucket).key(format!("locks/{stack}.json")).body(held.into_bytes().into()).send()).unwrap();
    let refused = start(&["apply", "--yes"]).wait_with_output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains(&format!("stack `{stack}` is locked by tester@ci-host (pid 7, apply)")), "{stderr}");
    assert!(stderr.contains("force-unlock"), "{stderr}");
    let unlocked = start(&["force-unlock"]).wait_with_output().unwrap();
    assert!(unlocked.status.success(), "{}", text(&unlocked));
    let destroy = start(&["destroy", "--yes"]).wait_with_output().unwrap();
    assert!(destroy.status.success(), "{}", text(&destroy));
    let left = rt.block_on(async {
        let client = strata_aws_testkit::ec2_client(&url, "eu-central-1").await;
        strata_aws_testkit::ec2_leftovers(&client, &stack).await
    });
    assert!(left.is_empty(), "{left:?}");
    let lock = rt.block_on(s3.get_object().bucket(&bucket).key(format!("locks/{stack}.json")).send());
    assert!(lock.is_err(), "the lock is released after the run");
}

#[test]
fn targeted_apply_touches_only_the_target_and_what_it_needs() {
    let stack = unique_stack("cli-target");
    let url = Emulator::Moto.url();

    let unknown = run(&["plan", "--target", "net/vpcc"], &stack, &url);
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("no resource of this stack is named `net/vpcc`") && text(&unknown).contains("`net/vpc`"), "{}", text(&unknown));

    let apply = run(&["apply", "--yes", "--target", "net/public-a"], &stack, &url);
    assert!(apply.status.success(), "{}", text(&apply));
    assert!(text(&apply).contains("PARTIAL plan") && text(&apply).contains("2 created"), "{}", text(&apply));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let made = rt.block_on(async {
        let client = strata_aws_testkit::ec2_client(&url, "eu-central-1").await;
        strata_aws_testkit::ec2_leftovers(&client, &stack).await
    });
    let kinds: Vec<&str> = made.iter().filter_map(|m| m.split(' ').next()).collect();
    assert_eq!(made.len(), 2, "only the subnet and its VPC: {made:?}");
    assert!(kinds.contains(&"vpc") && kinds.contains(&"subnet"), "{made:?}");

    // The rest is still to create; excluding the NAT's side leaves it out.
    let plan = run(&["plan", "--exclude", "net/nat-eip-a"], &stack, &url);
    assert!(plan.status.success(), "{}", text(&plan));
    assert!(text(&plan).contains("PARTIAL plan") && !text(&plan).contains("+ net/nat-a ") && !text(&plan).contains("+ net/private-rt ") && text(&plan).contains("+ web-sg "), "{}", text(&plan));

    let destroy = run(&["destroy", "--yes"], &stack, &url);
    assert!(destroy.status.success(), "{}", text(&destroy));
    let left = rt.block_on(async {
        let client = strata_aws_testkit::ec2_client(&url, "eu-central-1").await;
        strata_aws_testkit::ec2_leftovers(&client, &stack).await
    });
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn replace_makes_a_new_copy_of_an_unchanged_resource() {
    let stack = unique_stack("cli-replace");
    let url = Emulator::Moto.url();
    let apply = run(&["apply", "--yes"], &stack, &url);
    assert!(apply.status.success(), "{}", text(&apply));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let groups = |rt: &tokio::runtime::Runtime| {
        rt.block_on(async {
            let client = strata_aws_testkit::ec2_client(&url, "eu-central-1").await;
            strata_aws_testkit::ec2_leftovers(&client, &stack).await.into_iter().filter(|x| x.starts_with("security-group")).collect::<Vec<_>>()
        })
    };
    let before = groups(&rt);
    assert_eq!(before.len(), 1, "{before:?}");

    let unknown = run(&["apply", "--yes", "--replace", "web-gs"], &stack, &url);
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("`web-sg`"), "{}", text(&unknown));
    let refused = run(&["destroy", "--yes", "--replace", "web-sg"], &stack, &url);
    assert!(!refused.status.success() && text(&refused).contains("not destroy"), "{}", text(&refused));

    let replaced = run(&["apply", "--yes", "--replace", "web-sg"], &stack, &url);
    assert!(replaced.status.success(), "{}", text(&replaced));
    assert!(text(&replaced).contains("replacement asked for (--replace)") && text(&replaced).contains("1 replaced, 10 unchanged"), "{}", text(&replaced));
    let after = groups(&rt);
    assert_eq!(after.len(), 1, "the old group is gone: {after:?}");
    assert_ne!(after, before, "a new group");
    let again = run(&["plan", "--detailed-exitcode"], &stack, &url);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));

    let destroy = run(&["destroy", "--yes"], &stack, &url);
    assert!(destroy.status.success(), "{}", text(&destroy));
}
