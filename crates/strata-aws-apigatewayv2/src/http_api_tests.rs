//! The HTTP API kind's unit tests (the stage's update on aws-smithy-mocks).
use super::*;
use aws_sdk_apigatewayv2::operation::create_stage::CreateStageOutput;
use aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersOutput;
use aws_sdk_apigatewayv2::operation::get_integrations::GetIntegrationsOutput;
use aws_sdk_apigatewayv2::operation::get_routes::GetRoutesOutput;
use aws_sdk_apigatewayv2::operation::get_stages::GetStagesOutput;
use aws_sdk_apigatewayv2::operation::update_stage::UpdateStageOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

const LOGS: &str = "arn:aws:logs:eu-central-1:123456789012:log-group:api";

fn stage(burst: Option<i32>, logs: Option<&str>) -> Stage {
    let rs = RouteSettings::builder().set_throttling_burst_limit(burst).set_throttling_rate_limit(burst.map(f64::from)).build();
    let b = Stage::builder().stage_name("$default").auto_deploy(true).default_route_settings(rs);
    b.set_access_log_settings(logs.map(|l| AccessLogSettings::builder().destination_arn(l).format(DEFAULT_LOG_FORMAT).build())).build()
}

/// moto 5.2.5 has no `UpdateStage`: the stage's change is tested on the
/// real request shape with aws-smithy-mocks.
#[tokio::test]
async fn stage_throttling_and_access_logs_update_with_smithy_mocks_because_moto_has_no_update_stage() {
    let empty_routes = mock!(Client::get_routes).then_output(|| GetRoutesOutput::builder().build());
    let empty_integrations = mock!(Client::get_integrations).then_output(|| GetIntegrationsOutput::builder().build());
    let empty_authorizers = mock!(Client::get_authorizers).then_output(|| GetAuthorizersOutput::builder().build());
    let stages = mock!(Client::get_stages).match_requests(|r| r.api_id() == Some("a1")).then_output(|| GetStagesOutput::builder().items(stage(Some(10), None)).build());
    let update = mock!(Client::update_stage)
        .match_requests(|r| {
            let rs = r.default_route_settings();
            r.api_id() == Some("a1")
                && r.stage_name() == Some("$default")
                && r.auto_deploy() == Some(true)
                && rs.and_then(RouteSettings::throttling_burst_limit) == Some(200)
                && rs.and_then(RouteSettings::throttling_rate_limit) == Some(100.0)
                && r.access_log_settings().and_then(AccessLogSettings::destination_arn) == Some(LOGS)
                && r.access_log_settings().and_then(AccessLogSettings::format) == Some(DEFAULT_LOG_FORMAT)
        })
        .then_output(|| UpdateStageOutput::builder().build());
    let create = mock!(Client::create_stage).then_output(|| CreateStageOutput::builder().build());
    let c = mock_client!(aws_sdk_apigatewayv2, RuleMode::MatchAny, [&empty_routes, &empty_integrations, &empty_authorizers, &stages, &update, &create]);

    let want = V { stage_name: Some("$default".into()), throttle_burst: Some(200), throttle_rate: Some(100), access_log_arn: Some(format!("{LOGS}:*")), access_log_format: Some(DEFAULT_LOG_FORMAT.into()), ..V::default() };
    sync(&c, "a1", &want, "api").await.unwrap();
    assert_eq!((update.num_calls(), create.num_calls()), (1, 0), "one UpdateStage, no new stage");

    // The same settings as read: no call.
    assert!(!stage_differs(&stage(Some(200), Some(LOGS)), &V { throttle_burst: Some(200), throttle_rate: Some(200), access_log_arn: Some(LOGS.into()), access_log_format: Some(DEFAULT_LOG_FORMAT.into()), ..V::default() }));
    assert!(stage_differs(&stage(Some(200), Some(LOGS)), &V { throttle_burst: Some(200), throttle_rate: Some(200), ..V::default() }), "access logs turned off");
}

#[test]
fn route_keys_are_method_and_path() {
    use crate::checks::route_key_problem;
    assert_eq!(route_key_problem("GET /orders"), None);
    assert_eq!(route_key_problem("ANY /{proxy+}"), None);
    assert_eq!(route_key_problem("$default"), None);
    assert_eq!(route_key_problem("POST /orders/{id}/items"), None);
    assert!(route_key_problem("/orders").is_some());
    assert!(route_key_problem("FETCH /orders").is_some());
    assert!(route_key_problem("GET orders").is_some());
    assert!(route_key_problem("GET /{proxy+}/x").is_some());
    assert!(route_key_problem("GET /{id").is_some());
}
