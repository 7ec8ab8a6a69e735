//! `aws:secretsmanager:SecretRotation`: automatic rotation of one of the
//! stack's secrets by a Lambda function, every so many days.
//!
//! Rotation is a setting of the secret, not a resource with tags of its own.
//! With no state file it is known by the secret's ARN and owned through the
//! secret: the secret carries the stack's tags, and strata adds one more,
//! `strata:rotation`, naming the rotation's logical name (the secret's own
//! kind leaves that tag alone). Discovery shares the stack's `ListSecrets`
//! answer with the secrets' discovery (each entry says whether rotation is
//! on, with which function and rules), so it costs no call of its own.
//! Rotation is only ever set on a secret that carries the stack's tag.
//!
//! Secrets Manager must be allowed to invoke the function: declare a
//! `lambda::Permission` for `secretsmanager.amazonaws.com` with the secret's
//! ARN as its source, and make the rotation depend on it (`RotateSecret`
//! runs the function's `testSecret` step at once and fails when it may not).
//! The first rotation runs at the schedule, not at once: the secret's value
//! is fresh when strata creates it. A rotated value changes outside the
//! program, so a rotated secret should have a generated value (which strata
//! never compares), not a given one.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::{RotationRulesType, SecretListEntry, Tag};
use strata_aws::error::err;
use strata_aws::kernel::{owner_tags, tags_as_declared, Created, Kind, NoTags, Seen, Want};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, stack_secrets, ROTATION_TAG};

strata_aws::kind_fields! {
    /// Automatic rotation of a secret.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_secretsmanager::{Secret, SecretRotation};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let password = stack.add("db-password", Secret::generated(32));
    /// stack.add(
    ///     "db-password-rotation",
    ///     SecretRotation::new(password.arn(), "arn:aws:lambda:eu-central-1:111122223333:function:rotate-db", 30),
    /// );
    /// ```
    pub struct SecretRotation: "aws:secretsmanager:SecretRotation";
    values SecretRotationValues;
    handle SecretRotationHandle / SecretRotationOutputs { secret_arn };
    fields {
        /// The secret's ARN (one of the stack's secrets).
        secret: str [replace required];
        /// The rotation function's ARN.
        function: str [update required];
        /// Rotate every this many days (1-1000).
        days: int [update required];
    }
}

impl SecretRotation {
    /// Rotate `secret` (its ARN) with `function` (its ARN) every `days` days.
    pub fn new(secret: impl Into<Arg<String>>, function: impl Into<Arg<String>>, days: i64) -> Self {
        Self::empty().secret(secret).function(function).days(days)
    }
}

type V = SecretRotationValues;

/// The kind behind [`SecretRotation`].
pub(crate) struct Rotations;

/// A rotation as read: the secret, its function and period, and the stack
/// and logical name its tags give.
pub(crate) struct Item {
    secret: String,
    function: Option<String>,
    days: Option<i64>,
    owner: Option<(String, String)>,
}

fn item_of(s: &SecretListEntry) -> Option<Item> {
    if s.rotation_enabled() != Some(true) {
        return None;
    }
    let tag = |k: &str| s.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value()).map(str::to_string);
    let owner = tag(tags::STACK).zip(tag(ROTATION_TAG));
    Some(Item {
        secret: s.arn()?.to_string(),
        function: s.rotation_lambda_arn().map(str::to_string),
        days: s.rotation_rules().and_then(|r| r.automatically_after_days()),
        owner,
    })
}

async fn rotate(aws: &Aws, region: &str, v: &V) -> Result<(), ProviderError> {
    let rules = RotationRulesType::builder().set_automatically_after_days(v.days).build();
    let req = client(aws, region).rotate_secret().set_secret_id(v.secret.clone()).set_rotation_lambda_arn(v.function.clone()).rotation_rules(rules);
    req.rotate_immediately(false).send().await.map(|_| ()).map_err(err("RotateSecret"))
}

#[async_trait]
impl Kind for Rotations {
    type Builder = SecretRotation;
    type Item = Item;
    type Tags = NoTags;

    fn id(item: &Item) -> Option<&str> {
        Some(&item.secret)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(owner_tags(item.owner.as_ref()))
    }

    fn observe(item: &Item) -> Seen<SecretRotation> {
        Seen {
            values: V { secret: Some(item.secret.clone()), function: item.function.clone(), days: item.days, ..V::default() },
            outputs: SecretRotationOutputs { secret_arn: Some(item.secret.clone()) },
            refs: vec![item.secret.clone()],
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let secrets = stack_secrets(aws, scope).await?;
        Ok(secrets.iter().filter(|s| s.tags().iter().any(|t| t.key() == Some(tags::STACK) && t.value() == Some(scope.stack.as_str()))).filter_map(item_of).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let Some(d) = strata_aws::found(client(aws, region).describe_secret().secret_id(id).send().await.map_err(err("DescribeSecret")))? else { return Ok(None) };
        if d.deleted_date().is_some() {
            return Ok(None);
        }
        let entry = SecretListEntry::builder()
            .set_arn(d.arn)
            .set_rotation_enabled(d.rotation_enabled)
            .set_rotation_lambda_arn(d.rotation_lambda_arn)
            .set_rotation_rules(d.rotation_rules)
            .set_tags(d.tags)
            .build();
        Ok(item_of(&entry))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, SecretRotation>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let secret = v.secret.clone().ok_or_else(|| strata_aws::lacks("RotateSecret", "secret", &cx.name))?;
        let c = client(aws, &cx.region);
        let d = c.describe_secret().secret_id(&secret).send().await.map_err(err("DescribeSecret"))?;
        if !d.tags().iter().any(|t| t.key() == Some(tags::STACK) && t.value() == Some(cx.stack.as_str())) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "RotateSecret",
                format!("`{}`: the secret {secret:?} is not this stack's (strata rotates only its own secrets)", cx.name),
            ));
        }
        // The tag first: a rotation strata set is always found again.
        let tag = Tag::builder().key(ROTATION_TAG).value(&cx.name).build();
        c.tag_resource().secret_id(&secret).tags(tag).send().await.map_err(err("TagResource"))?;
        rotate(aws, &cx.region, v).await?;
        Ok(Created::Item(Item { secret, function: v.function.clone(), days: v.days, owner: Some((cx.stack.clone(), cx.name.clone())) }))
    }

    async fn update(&self, aws: &Aws, _actual: &Observed, want: &Want<'_, SecretRotation>, _diff: &Diff) -> Result<(), ProviderError> {
        rotate(aws, &want.cx.region, &want.values).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = client(aws, &cx.region);
        c.cancel_rotate_secret().secret_id(&actual.id).send().await.map(|_| ()).map_err(err("CancelRotateSecret"))?;
        c.untag_resource().secret_id(&actual.id).tag_keys(ROTATION_TAG).send().await.map(|_| ()).map_err(err("UntagResource"))
    }

    fn reconcile(want: &Props, have: &mut Props) {
        tags_as_declared(want, have);
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        if let Some(d) = decl.known(V::days).and_then(|v| v.as_int()).filter(|d| !(1..=1000).contains(d)) {
            out.push(Diagnostic::field(r, V::days, format!("{d} is outside 1-1000 days")));
        }
        if let Some(f) = decl.known(V::function).and_then(|v| v.as_str().map(str::to_string)).filter(|f| !(f.starts_with("arn:") && f.contains(":lambda:") && f.contains(":function:"))) {
            out.push(Diagnostic::field(r, V::function, format!("{f:?} is not a Lambda function ARN")));
        }
        if let Some(s) = decl.known(V::secret).and_then(|v| v.as_str().map(str::to_string)).filter(|s| !s.starts_with("arn:")) {
            out.push(Diagnostic::field(r, V::secret, format!("{s:?}: give the secret's ARN")));
        }
        if decl.known(V::secret).is_some_and(|v| v == Value::Null) {
            out.push(Diagnostic::field(r, V::secret, "a rotation needs a secret"));
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}
