//! RDS parameter groups on moto: a parameter the program stops setting is
//! reset (`ResetDBParameterGroup`, which moto 5.2.5 lacks and
//! `scripts/moto_server.py` adds as AWS documents it), one it changes is
//! modified, each checked through an independent `DescribeDBParameters`.

use strata::aws::rds::DbParameterGroup;
use strata::engine::Engine;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

fn stack(name: &str, params: &[(&str, &str)]) -> Stack {
    let mut s = Stack::new(name, REGION);
    let group = params.iter().fold(DbParameterGroup::new("mysql8.0"), |g, (k, v)| g.parameter(k, *v));
    s.add("params", group);
    s
}

#[tokio::test(flavor = "current_thread")]
async fn parameter_group_reset_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("params");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let rds = aws_sdk_rds::Client::new(&strata_aws_testkit::sdk_config(&url, REGION).await);
    let user_params = |group: String| {
        let rds = rds.clone();
        async move {
            let out = rds.describe_db_parameters().db_parameter_group_name(group).source("user").send().await.unwrap();
            let mut p: Vec<(String, String)> = out
                .parameters()
                .iter()
                .map(|p| (p.parameter_name().unwrap_or_default().to_string(), p.parameter_value().unwrap_or_default().to_string()))
                .collect();
            p.sort();
            p
        }
    };

    let first = stack(&name, &[("max_connections", "500"), ("wait_timeout", "300")]);
    let report = engine.apply(&first, engine.plan(&first).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let group = report.outcome("params").unwrap().physical_id.clone().unwrap();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(user_params(group.clone()).await, vec![pair("max_connections", "500"), pair("wait_timeout", "300")]);

    // wait_timeout removed (reset), max_connections changed (modified): in place.
    let second = stack(&name, &[("max_connections", "600")]);
    let plan = engine.plan(&second).await.unwrap();
    assert!(plan.render_text().contains("parameters"), "{}", plan.render_text());
    let report = engine.apply(&second, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.outcome("params").unwrap().physical_id.as_deref(), Some(group.as_str()), "updated in place");
    assert_eq!(user_params(group.clone()).await, vec![pair("max_connections", "600")]);
    let again = engine.plan(&second).await.unwrap();
    assert!(!again.has_changes(), "{}", again.render_text());

    let report = engine.apply(&second, engine.plan_destroy(&second).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    // (AWS answers DBParameterGroupNotFound; moto an empty list.)
    let left = rds.describe_db_parameter_groups().db_parameter_group_name(&group).send().await;
    assert!(left.as_ref().map_or(true, |l| l.db_parameter_groups().is_empty()), "the group is deleted: {left:?}");
}
