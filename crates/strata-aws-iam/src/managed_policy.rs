//! `aws:iam:ManagedPolicy`: a customer-managed policy, versioned.
//!
//! A changed document is a new default version; IAM keeps at most five, so
//! the oldest non-default version is deleted first when there are five.

use async_trait::async_trait;
use aws_sdk_iam::types::PolicyScopeType;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, IAM_NAME};
use strata_aws::policy;
use strata_aws::Aws;
use strata_core::{Diagnostic, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, ProviderError};

use crate::{client, name_problem, path_problem, sdk_tags, tags_of, IamTags};

/// How many versions IAM keeps of one policy.
const MAX_VERSIONS: usize = 5;

strata_aws::kind_fields! {
    /// A customer-managed policy.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_iam::{ManagedPolicy, PolicyDocument, Role, Statement};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let read = stack.add("read-logs", ManagedPolicy::new(PolicyDocument::new().statement(
    ///     Statement::allow().actions(["logs:GetLogEvents", "logs:FilterLogEvents"]).resource("*"),
    /// )));
    /// stack.add("ops", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).attach(read.arn()));
    /// ```
    pub struct ManagedPolicy: "aws:iam:ManagedPolicy";
    values ManagedPolicyValues;
    handle ManagedPolicyHandle / ManagedPolicyOutputs { arn, policy_name, policy_id };
    fields {
        /// The policy's name (default: derived from the stack and the logical name).
        name: str [replace];
        /// Its path (default `/`).
        path: str [replace] = "/";
        /// What it is for (IAM cannot change it: a new one replaces the policy).
        description: str [replace cleared];
        /// What it allows or denies.
        document: policy [update required];
    }
}

impl ManagedPolicy {
    /// A policy with this document.
    pub fn new(document: policy::PolicyDocument) -> Self {
        Self::empty().document(document)
    }
}

type V = ManagedPolicyValues;

/// A policy and its default version's document.
#[derive(Clone, Debug, Default)]
pub(crate) struct Item {
    name: String,
    arn: String,
    policy_id: String,
    path: String,
    description: Option<String>,
    default_version: Option<String>,
    document: Option<String>,
    tags: Tags,
}

impl Item {
    fn of(p: &aws_sdk_iam::types::Policy) -> Item {
        Item {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.arn().unwrap_or_default().to_string(),
            policy_id: p.policy_id().unwrap_or_default().to_string(),
            path: p.path().unwrap_or("/").to_string(),
            description: p.description().map(str::to_string),
            default_version: p.default_version_id().map(str::to_string),
            document: None,
            tags: tags_of(p.tags()),
        }
    }
}

/// The kind behind [`ManagedPolicy`].
pub(crate) struct ManagedPolicies;

#[async_trait]
impl Kind for ManagedPolicies {
    type Builder = ManagedPolicy;
    type Item = Item;
    type Tags = IamTags;

    const GLOBAL: bool = true;
    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Item) -> Option<&str> {
        Some(item.arn.as_str()).filter(|a| !a.is_empty())
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        // `GetPolicy` answers the tags; `ListPolicies` does not (on AWS).
        (!item.tags.is_empty()).then(|| item.tags.clone())
    }

    fn observe(item: &Item) -> Seen<ManagedPolicy> {
        Seen {
            values: V {
                name: Some(item.name.clone()),
                path: Some(item.path.clone()),
                description: item.description.clone().filter(|d| !d.is_empty()),
                document: item.document.as_deref().map(|d| policy::parse(d).unwrap_or_else(|_| Value::str(d))),
                ..V::default()
            },
            outputs: ManagedPolicyOutputs {
                arn: Some(item.arn.clone()),
                policy_name: Some(item.name.clone()),
                policy_id: Some(item.policy_id.clone()),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        if item.document.is_none() {
            if let Some(v) = &item.default_version {
                let out = client(aws, region).get_policy_version().policy_arn(&item.arn).version_id(v).send().await.map_err(err("GetPolicyVersion"))?;
                item.document = out.policy_version().and_then(|p| p.document()).map(str::to_string);
            }
        }
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let c = client(aws, &scope.region);
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c.list_policies().scope(PolicyScopeType::Local).set_marker(marker).send().await.map_err(err("ListPolicies"))?;
            out.extend(page.policies().iter().map(Item::of));
            marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = client(aws, region).get_policy().policy_arn(id).send().await.map_err(err("GetPolicy"))?;
        match out.policy() {
            Some(p) => self.complete(aws, region, Item::of(p)).await.map(Some),
            None => Ok(None),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, ManagedPolicy>) -> Result<Created<Item>, ProviderError> {
        let v = &want.values;
        let name = v.name.clone().unwrap_or_else(|| derived_id(IAM_NAME, &want.cx.stack, &want.cx.name, v.path.as_deref().unwrap_or("/")));
        let doc = v.document.as_ref().ok_or_else(|| strata_aws::lacks("CreatePolicy", V::document, &want.cx.name))?;
        let out = client(aws, &want.cx.region)
            .create_policy()
            .policy_name(&name)
            .set_path(v.path.clone())
            .set_description(v.description.clone())
            .policy_document(render(doc)?)
            .set_tags(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreatePolicy"))?;
        let arn = out.policy().and_then(|p| p.arn()).ok_or_else(|| strata_aws::lacks("CreatePolicy", "Arn", &want.cx.name))?;
        Ok(Created::Id(arn.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, ManagedPolicy>, _diff: &Diff) -> Result<(), ProviderError> {
        // The document is the one field that changes in place: a new default version.
        let c = client(aws, &want.cx.region);
        let arn = actual.id.as_str();
        let doc = want.values.document.as_ref().ok_or_else(|| strata_aws::lacks("CreatePolicyVersion", V::document, &want.cx.name))?;
        let versions = c.list_policy_versions().policy_arn(arn).send().await.map_err(err("ListPolicyVersions"))?;
        let mut old: Vec<_> = versions.versions().iter().filter(|v| !v.is_default_version()).collect();
        old.sort_by_key(|v| v.create_date().map(|d| d.secs()));
        if versions.versions().len() >= MAX_VERSIONS {
            if let Some(id) = old.first().and_then(|v| v.version_id()) {
                c.delete_policy_version().policy_arn(arn).version_id(id).send().await.map_err(err("DeletePolicyVersion"))?;
            }
        }
        c.create_policy_version()
            .policy_arn(arn)
            .policy_document(render(doc)?)
            .set_as_default(true)
            .send()
            .await
            .map_err(err("CreatePolicyVersion"))?;
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // IAM deletes a policy only without its non-default versions; one
        // still attached to an identity is refused (DeleteConflict): strata
        // does not detach it from identities that are not the stack's.
        let c = client(aws, &cx.region);
        let arn = actual.id.as_str();
        let versions = c.list_policy_versions().policy_arn(arn).send().await.map_err(err("ListPolicyVersions"))?;
        for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
            if let Some(id) = v.version_id() {
                let r = c.delete_policy_version().policy_arn(arn).version_id(id).send().await.map(|_| ()).map_err(err("DeletePolicyVersion"));
                strata_aws::gone_ok(r)?;
            }
        }
        c.delete_policy().policy_arn(arn).send().await.map(|_| ()).map_err(err("DeletePolicy"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let text = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(p) = text(V::name).and_then(|n| name_problem(&n, 128)) {
            out.push(Diagnostic::field(&decl.name, V::name, p));
        }
        if let Some(p) = text(V::path).and_then(|p| path_problem(&p)) {
            out.push(Diagnostic::field(&decl.name, V::path, p));
        }
        if let Some(d) = decl.known(V::document).and_then(|d| policy::render(&d).ok()) {
            // IAM's quota for a managed policy: 6,144 characters, whitespace not counted.
            if d.len() > 6144 {
                out.push(Diagnostic::field(&decl.name, V::document, format!("is {} characters long; IAM allows 6144", d.len())));
            }
        }
    }
}

fn render(v: &Value) -> Result<String, ProviderError> {
    policy::render(v).map_err(|e| ProviderError::new(ErrorClass::Invalid, "policy", format!("`{}`: {e}", V::document)))
}
