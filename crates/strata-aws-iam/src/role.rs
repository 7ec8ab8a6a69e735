//! `aws:iam:Role`: an IAM role with its trust policy, its inline policies and
//! the managed policies attached to it.
//!
//! The role owns its inline policies and attachments exclusively: what the
//! program declares is what the role has (a policy added outside strata is
//! shown as drift and removed), as Terraform's `inline_policy` and
//! `managed_policy_arns` do.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_iam::types::EntityType;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, IAM_NAME};
use strata_aws::policy::{self, PolicyDocument};
use strata_aws::Aws;
use strata_core::{Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, name_problem, path_problem, sdk_tags, tags_of, IamTags};

strata_aws::kind_fields! {
    /// An IAM role.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_iam::{PolicyDocument, Role, Statement};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let role = stack.add(
    ///     "backup-role",
    ///     Role::new(PolicyDocument::assumed_by("backup.amazonaws.com"))
    ///         .attach("arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup")
    ///         .inline_policy("read-logs", PolicyDocument::new().statement(
    ///             Statement::allow().action("logs:GetLogEvents").resource("*"),
    ///         )),
    /// );
    /// let _ = role.arn();
    /// ```
    pub struct Role: "aws:iam:Role";
    values RoleValues;
    handle RoleHandle / RoleOutputs { arn, role_name, role_id };
    fields {
        /// The role's name (default: derived from the stack and the logical name).
        name: str [replace];
        /// Its path (default `/`).
        path: str [replace] = "/";
        /// Who may assume it (its trust policy).
        assume_role_policy: policy [update required];
        /// What it is for.
        description: str [update cleared];
        /// The longest session, in seconds: 3600 (the default) to 43200.
        max_session_duration: int [update] = 3600;
        /// The ARN of the managed policy that bounds its permissions.
        permissions_boundary: str [update cleared];
        /// Its inline policies, by name.
        inline_policies: policies [update];
        /// The ARNs of the managed policies attached to it (AWS-managed or the account's own).
        managed_policy_arns: strs [update] = Vec::<String>::new();
    }
}

impl Role {
    /// A role that `trust` allows to be assumed (see [`PolicyDocument::assumed_by`]).
    pub fn new(trust: PolicyDocument) -> Self {
        Self::empty().assume_role_policy(trust)
    }

    /// An inline policy of the role.
    pub fn inline_policy(self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.put(V::inline_policies, name, document.into_input())
    }

    /// Attach a managed policy (its ARN, or the output of a [`crate::ManagedPolicy`]).
    pub fn attach(self, policy_arn: impl Into<strata_core::Arg<String>>) -> Self {
        self.push(V::managed_policy_arns, policy_arn.into().into_input())
    }
}

type V = RoleValues;

/// A role as discovery and reads see it: the role, its policies and tags.
#[derive(Clone, Debug, Default)]
pub(crate) struct Item {
    name: String,
    arn: String,
    role_id: String,
    path: String,
    trust: Option<String>,
    description: Option<String>,
    max_session: Option<i32>,
    boundary: Option<String>,
    tags: Tags,
    inline: BTreeMap<String, String>,
    attached: Vec<String>,
}

/// The kind behind [`Role`].
pub(crate) struct Roles;

fn parsed(doc: Option<&str>) -> Option<Value> {
    // A policy AWS answered that strata cannot read shows as a change to
    // the declared one (and is replaced by it), not as an error.
    doc.map(|d| policy::parse(d).unwrap_or_else(|_| Value::str(d)))
}

fn render(field: &str, v: &Value) -> Result<String, ProviderError> {
    policy::render(v).map_err(|e| ProviderError::new(ErrorClass::Invalid, "policy", format!("`{field}`: {e}")))
}

/// Every role of the account, with its policies and tags: one paginated
/// `GetAccountAuthorizationDetails` and one paginated `ListRoles` (which has
/// the descriptions and session durations the first lacks).
async fn all_roles(aws: &Aws, region: &str) -> Result<Vec<Item>, ProviderError> {
    let c = client(aws, region);
    let mut items: BTreeMap<String, Item> = BTreeMap::new();
    let mut marker = None;
    loop {
        let page = c
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .set_marker(marker)
            .send()
            .await
            .map_err(err("GetAccountAuthorizationDetails"))?;
        for r in page.role_detail_list() {
            let Some(name) = r.role_name() else { continue };
            items.insert(
                name.to_string(),
                Item {
                    name: name.to_string(),
                    arn: r.arn().unwrap_or_default().to_string(),
                    role_id: r.role_id().unwrap_or_default().to_string(),
                    path: r.path().unwrap_or("/").to_string(),
                    trust: r.assume_role_policy_document().map(str::to_string),
                    boundary: r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_string),
                    tags: tags_of(r.tags()),
                    inline: r
                        .role_policy_list()
                        .iter()
                        .filter_map(|p| Some((p.policy_name()?.to_string(), p.policy_document()?.to_string())))
                        .collect(),
                    attached: r.attached_managed_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect(),
                    ..Item::default()
                },
            );
        }
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    let mut marker = None;
    loop {
        let page = c.list_roles().set_marker(marker).send().await.map_err(err("ListRoles"))?;
        for r in page.roles() {
            if let Some(i) = items.get_mut(r.role_name()) {
                i.description = r.description().map(str::to_string);
                i.max_session = r.max_session_duration();
            }
        }
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(items.into_values().collect())
}

/// One role by name, with its policies (`None`: there is none).
async fn one_role(aws: &Aws, region: &str, name: &str) -> Result<Option<Item>, ProviderError> {
    let c = client(aws, region);
    let out = c.get_role().role_name(name).send().await.map_err(err("GetRole"))?;
    let Some(r) = out.role() else { return Ok(None) };
    let mut item = Item {
        name: r.role_name().to_string(),
        arn: r.arn().to_string(),
        role_id: r.role_id().to_string(),
        path: r.path().to_string(),
        trust: r.assume_role_policy_document().map(str::to_string),
        description: r.description().map(str::to_string),
        max_session: r.max_session_duration(),
        boundary: r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_string),
        tags: tags_of(r.tags()),
        ..Item::default()
    };
    let mut marker = None;
    loop {
        let page = c.list_role_policies().role_name(name).set_marker(marker).send().await.map_err(err("ListRolePolicies"))?;
        for p in page.policy_names() {
            let doc = c.get_role_policy().role_name(name).policy_name(p).send().await.map_err(err("GetRolePolicy"))?;
            item.inline.insert(p.clone(), doc.policy_document().to_string());
        }
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    item.attached = attached(aws, region, name).await?;
    Ok(Some(item))
}

/// The ARNs of the managed policies attached to a role.
async fn attached(aws: &Aws, region: &str, name: &str) -> Result<Vec<String>, ProviderError> {
    let c = client(aws, region);
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = c
            .list_attached_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(err("ListAttachedRolePolicies"))?;
        out.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)));
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

fn derived_name(want: &Want<'_, Role>) -> String {
    derived_id(IAM_NAME, &want.cx.stack, &want.cx.name, want.values.path.as_deref().unwrap_or("/"))
}

/// The inline policies to put (new or changed) and the names to delete.
fn inline_changes(have: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>) -> (Vec<(String, Value)>, Vec<String>) {
    let put = want
        .iter()
        .filter(|(k, v)| have.get(*k).map(policy::canonical) != Some(policy::canonical(v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let delete = have.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    (put, delete)
}

async fn put_inline(aws: &Aws, region: &str, role: &str, policies: &[(String, Value)]) -> Result<(), ProviderError> {
    let c = client(aws, region);
    for (name, doc) in policies {
        let doc = render(&format!("{}.{name}", V::inline_policies), doc)?;
        c.put_role_policy().role_name(role).policy_name(name).policy_document(doc).send().await.map_err(err("PutRolePolicy"))?;
    }
    Ok(())
}

async fn attach(aws: &Aws, region: &str, role: &str, arns: &[String]) -> Result<(), ProviderError> {
    let c = client(aws, region);
    for arn in arns {
        c.attach_role_policy().role_name(role).policy_arn(arn).send().await.map_err(err("AttachRolePolicy"))?;
    }
    Ok(())
}

async fn detach(aws: &Aws, region: &str, role: &str, arns: &[String]) -> Result<(), ProviderError> {
    let c = client(aws, region);
    for arn in arns {
        let r = c.detach_role_policy().role_name(role).policy_arn(arn).send().await.map(|_| ()).map_err(err("DetachRolePolicy"));
        strata_aws::gone_ok(r)?;
    }
    Ok(())
}

#[async_trait]
impl Kind for Roles {
    type Builder = Role;
    type Item = Item;
    type Tags = IamTags;

    const GLOBAL: bool = true;
    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];
    const TRUST_POLICIES: &'static [&'static str] = &[V::assume_role_policy];

    fn id(item: &Item) -> Option<&str> {
        Some(item.name.as_str()).filter(|n| !n.is_empty())
    }

    fn tag_target(item: &Item) -> Option<String> {
        Some(item.arn.clone()).filter(|a| !a.is_empty())
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(item.tags.clone())
    }

    fn observe(item: &Item) -> Seen<Role> {
        Seen {
            values: V {
                name: Some(item.name.clone()),
                path: Some(item.path.clone()),
                assume_role_policy: parsed(item.trust.as_deref()),
                description: item.description.clone().filter(|d| !d.is_empty()),
                max_session_duration: Some(i64::from(item.max_session.unwrap_or(3600))),
                permissions_boundary: item.boundary.clone(),
                inline_policies: Some(item.inline.iter().filter_map(|(k, d)| Some((k.clone(), parsed(Some(d))?))).collect()),
                managed_policy_arns: Some(item.attached.clone()),
                ..V::default()
            },
            outputs: RoleOutputs { role_name: Some(item.name.clone()), role_id: Some(item.role_id.clone()), ..RoleOutputs::default() },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        all_roles(aws, &scope.region).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        one_role(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Role>) -> Result<Created<Item>, ProviderError> {
        let v = &want.values;
        let region = &want.cx.region;
        let name = v.name.clone().unwrap_or_else(|| derived_name(want));
        let trust = v.assume_role_policy.as_ref().ok_or_else(|| strata_aws::lacks("CreateRole", V::assume_role_policy, &want.cx.name))?;
        client(aws, region)
            .create_role()
            .role_name(&name)
            .set_path(v.path.clone())
            .assume_role_policy_document(render(V::assume_role_policy, trust)?)
            .set_description(v.description.clone())
            .set_max_session_duration(v.max_session_duration.map(session).transpose()?)
            .set_permissions_boundary(v.permissions_boundary.clone())
            .set_tags(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreateRole"))?;
        let inline: Vec<(String, Value)> = v.inline_policies.clone().unwrap_or_default().into_iter().collect();
        put_inline(aws, region, &name, &inline).await?;
        attach(aws, region, &name, v.managed_policy_arns.as_deref().unwrap_or_default()).await?;
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Role>, diff: &Diff) -> Result<(), ProviderError> {
        let (c, region, name) = (client(aws, &want.cx.region), &want.cx.region, actual.id.as_str());
        let v = &want.values;
        if let (Some(_), Some(trust)) = (diff.changed(V::assume_role_policy), &v.assume_role_policy) {
            c.update_assume_role_policy()
                .role_name(name)
                .policy_document(render(V::assume_role_policy, trust)?)
                .send()
                .await
                .map_err(err("UpdateAssumeRolePolicy"))?;
        }
        if diff.changed(V::description).is_some() || diff.changed(V::max_session_duration).is_some() {
            c.update_role()
                .role_name(name)
                .description(v.description.clone().unwrap_or_default())
                .set_max_session_duration(v.max_session_duration.map(session).transpose()?)
                .send()
                .await
                .map_err(err("UpdateRole"))?;
        }
        if diff.changed(V::permissions_boundary).is_some() {
            match &v.permissions_boundary {
                Some(arn) => c
                    .put_role_permissions_boundary()
                    .role_name(name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("PutRolePermissionsBoundary"))?,
                None => c
                    .delete_role_permissions_boundary()
                    .role_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("DeleteRolePermissionsBoundary"))?,
            }
        }
        if diff.changed(V::inline_policies).is_some() {
            let have = actual.props.get(V::inline_policies).and_then(Value::as_map).cloned().unwrap_or_default();
            let (put, delete) = inline_changes(&have, &v.inline_policies.clone().unwrap_or_default());
            put_inline(aws, region, name, &put).await?;
            for p in delete {
                let r = c.delete_role_policy().role_name(name).policy_name(&p).send().await.map(|_| ()).map_err(err("DeleteRolePolicy"));
                strata_aws::gone_ok(r)?;
            }
        }
        if diff.changed(V::managed_policy_arns).is_some() {
            let have = attached(aws, region, name).await?;
            let want_arns = v.managed_policy_arns.clone().unwrap_or_default();
            let add: Vec<String> = want_arns.iter().filter(|a| !have.contains(a)).cloned().collect();
            let remove: Vec<String> = have.iter().filter(|a| !want_arns.contains(a)).cloned().collect();
            attach(aws, region, name, &add).await?;
            detach(aws, region, name, &remove).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // IAM refuses to delete a role that still has policies or is in an
        // instance profile (DeleteConflict): take them off first.
        let (c, region, name) = (client(aws, &cx.region), &cx.region, actual.id.as_str());
        detach(aws, region, name, &attached(aws, region, name).await?).await?;
        let inline = c.list_role_policies().role_name(name).send().await.map_err(err("ListRolePolicies"))?;
        for p in inline.policy_names() {
            let r = c.delete_role_policy().role_name(name).policy_name(p).send().await.map(|_| ()).map_err(err("DeleteRolePolicy"));
            strata_aws::gone_ok(r)?;
        }
        let profiles = c.list_instance_profiles_for_role().role_name(name).send().await.map_err(err("ListInstanceProfilesForRole"))?;
        for p in profiles.instance_profiles() {
            let r = c
                .remove_role_from_instance_profile()
                .instance_profile_name(p.instance_profile_name())
                .role_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(err("RemoveRoleFromInstanceProfile"));
            strata_aws::gone_ok(r)?;
        }
        c.delete_role().role_name(name).send().await.map(|_| ()).map_err(err("DeleteRole"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let text = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(p) = text(V::name).and_then(|n| name_problem(&n, 64)) {
            out.push(Diagnostic::field(&decl.name, V::name, p));
        }
        if let Some(p) = text(V::path).and_then(|p| path_problem(&p)) {
            out.push(Diagnostic::field(&decl.name, V::path, p));
        }
        if let Some(s) = decl.known(V::max_session_duration).and_then(|v| v.as_int()) {
            if !(3600..=43200).contains(&s) {
                out.push(Diagnostic::field(&decl.name, V::max_session_duration, format!("{s} s is outside 3600 to 43200 (1 to 12 hours)")));
            }
        }
        if let Some(d) = text(V::description).filter(|d| d.chars().count() > 1000) {
            out.push(Diagnostic::field(&decl.name, V::description, format!("is {} characters long; IAM allows 1000", d.chars().count())));
        }
        if let Some(b) = text(V::permissions_boundary).filter(|b| !is_policy_arn(b)) {
            out.push(Diagnostic::field(&decl.name, V::permissions_boundary, format!("{b:?} is not the ARN of a managed policy")));
        }
        if let Some(Value::List(arns)) = decl.inputs.get(V::managed_policy_arns).map(Input::partial) {
            for a in arns.iter().filter_map(Value::as_str).filter(|a| !is_policy_arn(a)) {
                out.push(Diagnostic::field(&decl.name, V::managed_policy_arns, format!("{a:?} is not the ARN of a managed policy")));
            }
            if arns.len() > 20 {
                out.push(Diagnostic::field(&decl.name, V::managed_policy_arns, format!("{} policies; IAM attaches at most 20 to a role", arns.len())));
            }
        }
        if let Some(Value::Map(docs)) = decl.inputs.get(V::inline_policies).map(Input::partial) {
            for n in docs.keys() {
                if let Some(p) = name_problem(n, 128) {
                    out.push(Diagnostic::field(&decl.name, V::inline_policies, format!("policy name {p}")));
                }
            }
            // IAM's quota: 10,240 characters of inline policy per role, whitespace not counted.
            let size: usize = docs.values().filter_map(|d| policy::render(d).ok()).map(|t| t.len()).sum();
            if size > 10_240 {
                out.push(Diagnostic::field(&decl.name, V::inline_policies, format!("{size} characters of inline policy; IAM allows 10240 per role")));
            }
        }
    }

    fn normalize(props: &mut Props) {
        // Attachments have no order.
        if let Some(Value::List(l)) = props.get_mut(V::managed_policy_arns) {
            l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            l.dedup();
        }
        // An empty description is none.
        if props.get(V::description).and_then(Value::as_str) == Some("") {
            props.insert(V::description.into(), Value::Null);
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}

fn is_policy_arn(a: &str) -> bool {
    a.starts_with("arn:") && a.split(':').nth(2) == Some("iam") && a.split(':').nth(5).is_some_and(|r| r.starts_with("policy/"))
}

fn session(s: i64) -> Result<i32, ProviderError> {
    i32::try_from(s).map_err(|_| ProviderError::new(ErrorClass::Invalid, "CreateRole", format!("{s} s is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_policy_changes() {
        let doc = |a: &str| strata_aws::policy::PolicyDocument::new()
            .statement(strata_aws::policy::Statement::allow().action(a).resource("*"))
            .into_input()
            .known()
            .unwrap_or(Value::Null);
        let have = BTreeMap::from([("keep".to_string(), doc("s3:GetObject")), ("drop".to_string(), doc("s3:ListBucket"))]);
        let want = BTreeMap::from([("keep".to_string(), doc("s3:GetObject")), ("new".to_string(), doc("sqs:SendMessage"))]);
        let (put, delete) = inline_changes(&have, &want);
        assert_eq!(put.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["new"]);
        assert_eq!(delete, ["drop"]);
        assert!(is_policy_arn("arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"));
        assert!(!is_policy_arn("arn:aws:iam::123456789012:role/x"));
    }
}
