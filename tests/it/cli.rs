//! The stack runner, end to end: the example binaries against moto.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use strata_aws_testkit::{unique_stack, Emulator};

/// The example binary (`just test` runs `cargo build --examples` first).
fn example(name: &str) -> PathBuf {
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
    // 67 managed resources and the Ubuntu image lookup; every subnet, group,
    // instance and store hangs off something.
    assert_valid_dot(&String::from_utf8_lossy(&out.stdout), 68, 100);
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
