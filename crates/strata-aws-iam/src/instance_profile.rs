//! `aws:iam:InstanceProfile`: what an EC2 instance assumes its role through.

use async_trait::async_trait;
use aws_sdk_iam::types::InstanceProfile as Sdk;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, IAM_NAME};
use strata_aws::Aws;
use strata_core::{Diagnostic, ResourceDecl, Stack, Tags};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, ProviderError};

use crate::{client, name_problem, path_problem, sdk_tags, tags_of, IamTags};

strata_aws::kind_fields! {
    /// An instance profile holding one role.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_iam::{InstanceProfile, PolicyDocument, Role};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let role = stack.add("web-role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")));
    /// let profile = stack.add("web-profile", InstanceProfile::new(role.role_name()));
    /// let _ = profile.profile_name(); // what `Instance::iam_instance_profile` takes
    /// ```
    pub struct InstanceProfile: "aws:iam:InstanceProfile";
    values InstanceProfileValues;
    handle InstanceProfileHandle / InstanceProfileOutputs { arn, profile_name };
    fields {
        /// The profile's name (default: derived from the stack and the logical name).
        name: str [replace];
        /// Its path (default `/`).
        path: str [replace] = "/";
        /// The name of the role it holds (an instance profile holds one).
        role: str [update required private];
    }
}

impl InstanceProfile {
    /// A profile holding `role` (a role's name, such as `Role`'s `role_name()` output).
    pub fn new(role: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().role(role)
    }
}

type V = InstanceProfileValues;

/// The kind behind [`InstanceProfile`].
pub(crate) struct InstanceProfiles;

#[async_trait]
impl Kind for InstanceProfiles {
    type Builder = InstanceProfile;
    type Item = Sdk;
    type Tags = IamTags;

    const GLOBAL: bool = true;
    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Sdk) -> Option<&str> {
        Some(item.instance_profile_name()).filter(|n| !n.is_empty())
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        Some(item.arn().to_string()).filter(|a| !a.is_empty())
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        // `GetInstanceProfile` answers the tags; `ListInstanceProfiles` does
        // not (on AWS), so an untagged answer is read through the tag calls.
        (!item.tags().is_empty()).then(|| tags_of(item.tags()))
    }

    fn observe(item: &Sdk) -> Seen<InstanceProfile> {
        Seen {
            values: V {
                name: Some(item.instance_profile_name().to_string()),
                path: Some(item.path().to_string()),
                role: item.roles().first().map(|r| r.role_name().to_string()),
                ..V::default()
            },
            outputs: InstanceProfileOutputs { profile_name: Some(item.instance_profile_name().to_string()), ..InstanceProfileOutputs::default() },
            refs: item.roles().iter().map(|r| r.role_name().to_string()).collect(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        let c = client(aws, &scope.region);
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let page = c.list_instance_profiles().set_marker(marker).send().await.map_err(err("ListInstanceProfiles"))?;
            out.extend(page.instance_profiles().iter().cloned());
            marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let out = client(aws, region).get_instance_profile().instance_profile_name(id).send().await.map_err(err("GetInstanceProfile"))?;
        Ok(out.instance_profile().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, InstanceProfile>) -> Result<Created<Sdk>, ProviderError> {
        let v = &want.values;
        let c = client(aws, &want.cx.region);
        let name = v.name.clone().unwrap_or_else(|| derived_id(IAM_NAME, &want.cx.stack, &want.cx.name, v.path.as_deref().unwrap_or("/")));
        let role = v.role.as_deref().ok_or_else(|| strata_aws::lacks("CreateInstanceProfile", V::role, &want.cx.name))?;
        c.create_instance_profile()
            .instance_profile_name(&name)
            .set_path(v.path.clone())
            .set_tags(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreateInstanceProfile"))?;
        c.add_role_to_instance_profile().instance_profile_name(&name).role_name(role).send().await.map_err(err("AddRoleToInstanceProfile"))?;
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, InstanceProfile>, _diff: &Diff) -> Result<(), ProviderError> {
        // The role is the one field that changes in place: out with the old, in with the new.
        let c = client(aws, &want.cx.region);
        let name = actual.id.as_str();
        if let Some(old) = actual.props.get(V::role).and_then(|v| v.as_str()) {
            let r = c
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(old)
                .send()
                .await
                .map(|_| ())
                .map_err(err("RemoveRoleFromInstanceProfile"));
            strata_aws::gone_ok(r)?;
        }
        let role = want.values.role.as_deref().ok_or_else(|| strata_aws::lacks("AddRoleToInstanceProfile", V::role, &want.cx.name))?;
        c.add_role_to_instance_profile().instance_profile_name(name).role_name(role).send().await.map_err(err("AddRoleToInstanceProfile"))?;
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = client(aws, &cx.region);
        let name = actual.id.as_str();
        // IAM refuses to delete a profile that holds a role (DeleteConflict).
        let current = c.get_instance_profile().instance_profile_name(name).send().await.map_err(err("GetInstanceProfile"))?;
        for r in current.instance_profile().map(|p| p.roles()).unwrap_or_default() {
            let done = c
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(r.role_name())
                .send()
                .await
                .map(|_| ())
                .map_err(err("RemoveRoleFromInstanceProfile"));
            strata_aws::gone_ok(done)?;
        }
        c.delete_instance_profile().instance_profile_name(name).send().await.map(|_| ()).map_err(err("DeleteInstanceProfile"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let text = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(p) = text(V::name).and_then(|n| name_problem(&n, 128)) {
            out.push(Diagnostic::field(&decl.name, V::name, p));
        }
        if let Some(p) = text(V::path).and_then(|p| path_problem(&p)) {
            out.push(Diagnostic::field(&decl.name, V::path, p));
        }
        if let Some(p) = text(V::role).and_then(|n| name_problem(&n, 64)) {
            out.push(Diagnostic::field(&decl.name, V::role, format!("{p} (the role's name, not its ARN)")));
        }
    }
}
