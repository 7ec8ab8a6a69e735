//! The waiting periods of a destroy that AWS does not report back: a secret's
//! recovery window and a KMS key's deletion window. strata keeps each in a
//! state tag of the resource, so that a destroy (which sees only what it
//! discovers) uses the window the program declared, and changing it is an
//! in-place update of the tag.

use strata::aws::kms::Key;
use strata::aws::secretsmanager::Secret;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

fn stack(name: &str, secret_window: i64) -> Stack {
    let mut s = Stack::new(name, REGION);
    s.add("short-key", Key::new("deleted after a week").deletion_window_days(7));
    s.add("default-key", Key::new("deleted after AWS's default"));
    s.add("secret", Secret::generated(24).recovery_window_days(secret_window));
    s
}

async fn destroy_uses_the_declared_windows(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("windows");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let sm = aws_sdk_secretsmanager::Client::new(&conf);

    // Created with a 7-day recovery window; the windows are not among the tags shown.
    let report = engine.apply(&stack(&name, 7), engine.plan(&stack(&name, 7)).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id_of = |n: &str| report.outcome(n).unwrap().physical_id.clone().unwrap();
    let (short_key, default_key, secret) = (id_of("short-key"), id_of("default-key"), id_of("secret"));
    let plan = engine.plan(&stack(&name, 7)).await.unwrap();
    assert!(!plan.has_changes(), "the windows read back from their tags:\n{}", plan.render_text());
    assert!(!plan.render_text().contains("strata:"), "no state tag is shown:\n{}", plan.render_text());

    // Changed to 0 (delete at once): an in-place update.
    let plan = engine.plan(&stack(&name, 0)).await.unwrap();
    let text = plan.render_text();
    assert!(text.contains("recovery_window_days"), "{text}");
    let report = engine.apply(&stack(&name, 0), plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.outcome("secret").unwrap().physical_id.as_deref(), Some(secret.as_str()), "updated in place");
    assert!(!engine.plan(&stack(&name, 0)).await.unwrap().has_changes());

    // Destroy: the secret is deleted without recovery; the keys wait 7 and 30 days.
    let report = engine.apply(&stack(&name, 0), engine.plan_destroy(&stack(&name, 0)).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let gone = sm.describe_secret().secret_id(&secret).send().await;
    let code = gone.as_ref().err().and_then(|e| e.as_service_error()).map(|e| e.is_resource_not_found_exception());
    assert_eq!(code, Some(true), "deleted without a recovery window: {gone:?}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    for (key, days) in [(&short_key, 7.0), (&default_key, 30.0)] {
        let meta = kms.describe_key().key_id(key).send().await.unwrap().key_metadata.unwrap();
        assert_eq!(meta.key_state(), Some(&aws_sdk_kms::types::KeyState::PendingDeletion));
        let when = meta.deletion_date().map(|d| d.as_secs_f64()).unwrap_or_default();
        let in_days = (when - now) / 86_400.0;
        assert!((days - 1.0..=days + 0.1).contains(&in_days), "key {key} is deleted in {in_days:.2} days, not {days}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn deletion_windows_on_moto() {
    destroy_uses_the_declared_windows(Emulator::Moto).await;
}

#[tokio::test(flavor = "current_thread")]
async fn deletion_windows_on_localstack() {
    destroy_uses_the_declared_windows(Emulator::LocalStack).await;
}
