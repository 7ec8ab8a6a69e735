//! `aws:secretsmanager:Secret`: a secret, its value generated once or given.
//! Its physical id is its ARN.

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::SecretListEntry;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Secret as Sensitive, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, ProviderError};

use crate::{client, stack_secrets, tag_list, tags_from, SecretsTags};

strata_aws::kind_fields! {
    /// A secret.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_secretsmanager::Secret;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let header = stack.add("origin-header", Secret::generated(32).description("CloudFront to ALB shared header"));
    /// let _value = header.value(); // Output<Secret<String>>
    /// ```
    pub struct Secret: "aws:secretsmanager:Secret";
    values SecretValues;
    handle SecretHandle / SecretOutputs { arn, secret_name, value: secret };
    fields {
        /// The secret's name (default: `<stack>/<logical name>`).
        name: str [replace];
        /// Its description.
        description: str [update] = "Managed by strata";
        /// Generate the value: this many letters and digits (8-4096), once.
        generated_length: int [update writeonly];
        /// The value, given by the program.
        value: secret [update];
        /// The KMS key that encrypts the value (default: AWS's own key).
        kms_key_id: str [replace cleared];
        /// Days AWS keeps a deleted secret recoverable (7-30), or 0 to delete at once.
        recovery_window_days: int [update] = 7;
    }
}

impl Secret {
    /// A random value of `length` letters and digits, generated once.
    pub fn generated(length: i64) -> Self {
        Self::empty().generated_length(length)
    }

    /// A value given by the program (an output of another secret, for example).
    pub fn with_value(value: impl Into<Arg<String>>) -> Self {
        Self::empty().value(value)
    }

    /// The KMS key that encrypts the value.
    pub fn kms_key(self, key_id: impl Into<Arg<String>>) -> Self {
        self.kms_key_id(key_id)
    }
}

type V = SecretValues;

/// The kind behind [`Secret`].
pub(crate) struct Secrets;

/// A secret as read: its `ListSecrets` entry (or the same fields of
/// `DescribeSecret`) and its value (read by [`Kind::complete`]).
pub(crate) struct Item(SecretListEntry, Option<Sensitive<String>>);

/// The characters of a secret's name besides letters and digits.
const NAME_CHARS: &str = "/_+=.@-";

/// A deterministic secret name: `<stack>/<logical name>`.
fn derived_name(cx: &OpContext) -> String {
    format!("{}/{}", cx.stack, cx.name).chars().map(|c| if c.is_ascii_alphanumeric() || NAME_CHARS.contains(c) { c } else { '-' }).collect()
}

#[async_trait]
impl Kind for Secrets {
    type Builder = Secret;
    type Item = Item;
    type Tags = SecretsTags;

    // AWS does not report the window a delete will use: kept in a state tag.
    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(tags::RECOVERY_WINDOW_DAYS, V::recovery_window_days)];
    // A value the program leaves unset is generated: kept, never compared.
    const DERIVED: &'static [&'static str] = &[V::name, V::value];

    fn id(s: &Item) -> Option<&str> {
        s.0.arn()
    }

    fn carried_tags(s: &Item) -> Option<Tags> {
        Some(tags_from(s.0.tags()))
    }

    fn observe(Item(s, value): &Item) -> Seen<Secret> {
        let (name, description) = (s.name.clone(), Some(s.description().unwrap_or_default().to_string()));
        let values = V { name: name.clone(), description, value: value.clone(), kms_key_id: s.kms_key_id.clone(), ..V::default() };
        Seen { values, outputs: SecretOutputs { arn: s.arn.clone(), secret_name: name, value: value.clone() }, refs: Vec::new() }
    }

    async fn complete(&self, aws: &Aws, region: &str, Item(s, value): Item) -> Result<Item, ProviderError> {
        if value.is_some() {
            return Ok(Item(s, value));
        }
        let req = client(aws, region).get_secret_value().set_secret_id(s.arn.clone());
        let out = req.send().await.map_err(err("GetSecretValue"))?;
        Ok(Item(s, out.secret_string.map(Sensitive::new)))
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // The kernel keeps the stack's own.
        Ok(stack_secrets(aws, scope).await?.iter().cloned().map(|s| Item(s, None)).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let d = client(aws, region).describe_secret().secret_id(id).send().await.map_err(err("DescribeSecret"))?;
        let entry = SecretListEntry::builder().set_arn(d.arn).set_name(d.name).set_description(d.description).set_kms_key_id(d.kms_key_id);
        // With its value: the waiter after an update reads the secret back by id.
        self.complete(aws, region, Item(entry.set_tags(d.tags).build(), None)).await.map(Some)
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Secret>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = client(aws, &cx.region);
        let value = match (v.generated_length, &v.value) {
            (Some(n), _) => {
                let out = c.get_random_password().password_length(n).exclude_punctuation(true).send().await.map_err(err("GetRandomPassword"))?;
                out.random_password.ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "GetRandomPassword", "no password in the response"))?
            }
            (None, Some(given)) => given.expose().clone(),
            (None, None) => return Err(ProviderError::new(ErrorClass::Invalid, "CreateSecret", "a secret needs a value or a generated length")),
        };
        // Secrets Manager wants a 32-64 character token: strata's is 42 (`strata-v1-` and 32 hex digits).
        let token = &cx.idempotency_token;
        if !(32..=64).contains(&token.len()) {
            return Err(ProviderError::new(ErrorClass::Fatal, "CreateSecret", format!("the idempotency token has {} characters, not 32-64", token.len())));
        }
        let name = v.name.clone().unwrap_or_else(|| derived_name(cx));
        let req = c.create_secret().name(&name).client_request_token(token).secret_string(&value).set_tags(Some(tag_list(&v.tags)));
        let out = req.set_description(v.description.clone()).set_kms_key_id(v.kms_key_id.clone()).send().await.map_err(err("CreateSecret"))?;
        let arn = out.arn.ok_or_else(|| strata_aws::lacks("CreateSecret", "ARN", &cx.name))?;
        let entry = SecretListEntry::builder().arn(arn).name(name).set_description(v.description.clone()).set_kms_key_id(v.kms_key_id.clone());
        Ok(Created::Item(Item(entry.set_tags(Some(tag_list(&v.tags))).build(), Some(Sensitive::new(value)))))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Secret>, diff: &Diff) -> Result<(), ProviderError> {
        let (c, v) = (client(aws, &want.cx.region), &want.values);
        if let (Some(_), Some(d)) = (diff.changed(V::description), &v.description) {
            c.update_secret().secret_id(&actual.id).description(d).send().await.map_err(err("UpdateSecret"))?;
        }
        if let (Some(_), Some(given)) = (diff.changed(V::value), &v.value) {
            c.put_secret_value().secret_id(&actual.id).secret_string(given.expose()).send().await.map_err(err("PutSecretValue"))?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // The window the secret was created or last updated with (its state
        // tag); a secret created before strata kept it: AWS's default, 7 days.
        let days = actual.props.get(V::recovery_window_days).and_then(Value::as_int).unwrap_or(7);
        let req = client(aws, &cx.region).delete_secret().secret_id(&actual.id);
        let req = if days == 0 { req.force_delete_without_recovery(true) } else { req.recovery_window_in_days(days) };
        req.send().await.map(|_| ()).map_err(err("DeleteSecret"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known(V::generated_length).and_then(|v| v.as_int()).filter(|n| !(8..=4096).contains(n)) {
            out.push(Diagnostic::field(&decl.name, V::generated_length, format!("{n} is outside 8-4096")));
        }
        if let Some(d) = decl.known(V::recovery_window_days).and_then(|v| v.as_int()).filter(|d| *d != 0 && !(7..=30).contains(d)) {
            out.push(Diagnostic::field(&decl.name, V::recovery_window_days, format!("{d} must be 0 or 7-30")));
        }
        if let Some(n) = decl.known(V::name).and_then(|v| v.as_str().map(str::to_string)) {
            if n.is_empty() || n.len() > 512 || !n.chars().all(|c| c.is_ascii_alphanumeric() || NAME_CHARS.contains(c)) {
                out.push(Diagnostic::field(&decl.name, V::name, "must be 1-512 of letters, digits and /_+=.@-"));
            }
        }
    }

    fn normalize(props: &mut Props) {
        // A generated value is generated once: a value given besides is not compared.
        if props.get(V::generated_length).is_some_and(|n| *n != Value::Null) {
            props.remove(V::value);
        }
    }
}
