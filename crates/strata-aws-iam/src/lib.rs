#![warn(missing_docs)]
//! IAM for strata: `aws:iam:Role` (with its inline and attached policies),
//! `aws:iam:InstanceProfile`, `aws:iam:ManagedPolicy` and
//! `aws:iam:OpenIdConnectProvider`, written on the
//! resource kernel ([`strata_aws::kernel`]).
//!
//! IAM is global: its kinds are [`strata_aws::kernel::Kind::GLOBAL`], so one
//! discovery pass lists them once for every region of the stack, and each is
//! reported by the stack region that made it (its `strata:region` tag).
//! Discovery is batched: roles, their inline policies, their attached
//! policies, their permissions boundaries and their tags come from one
//! paginated `GetAccountAuthorizationDetails` and one paginated `ListRoles`
//! (for descriptions and session durations), whatever the number of roles.
//!
//! Policies are typed ([`strata_aws::policy::PolicyDocument`]) and compared
//! in their canonical form, so IAM's URL-encoding and reordering of a policy
//! never shows as a diff.

mod instance_profile;
mod managed_policy;
mod oidc_provider;
mod role;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ErrorClass, ProviderError, Registry};

pub use instance_profile::{InstanceProfile, InstanceProfileHandle, InstanceProfileOutputs, InstanceProfileValues};
pub use managed_policy::{ManagedPolicy, ManagedPolicyHandle, ManagedPolicyOutputs, ManagedPolicyValues};
pub use oidc_provider::{OpenIdConnectProvider, OpenIdConnectProviderHandle, OpenIdConnectProviderOutputs, OpenIdConnectProviderValues};
pub use role::{Role, RoleHandle, RoleOutputs, RoleValues};
pub use strata_aws::policy::{PolicyDocument, Statement};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_iam, "iam");

/// Register the IAM kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, role::Roles)));
    r.register(Arc::new(KindProvider::new(aws, instance_profile::InstanceProfiles)));
    r.register(Arc::new(KindProvider::new(aws, managed_policy::ManagedPolicies)));
    r.register(Arc::new(KindProvider::new(aws, oidc_provider::OidcProviders)));
}

/// The rules of IAM names (roles, instance profiles, policies): 1 to 64 (128
/// for policies) of letters, digits and `+=,.@_-`.
pub(crate) fn name_problem(name: &str, max: usize) -> Option<String> {
    let ok = name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    (name.is_empty() || name.len() > max || !ok).then(|| format!("{name:?} is not an IAM name (1 to {max} of A-Z a-z 0-9 + = , . @ _ -)"))
}

/// The rules of IAM paths: `/` alone, or `/` + segments + `/`, 512 at most.
pub(crate) fn path_problem(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
        && !path.contains("//");
    (!ok).then(|| format!("{path:?} is not an IAM path (it starts and ends with `/`, like `/service-role/`)"))
}

/// IAM tags as strata tags.
pub(crate) fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

/// Strata tags as IAM tags.
pub(crate) fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "Tag", e.to_string())))
        .collect()
}

/// What an IAM ARN names: (`role`, `instance-profile`, `policy` or
/// `oidc-provider`; the name).
fn target(arn: &str) -> Result<(&str, &str), ProviderError> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    let name = rest.rsplit('/').next().unwrap_or_default();
    match kind {
        "role" | "instance-profile" | "policy" | "oidc-provider" if !name.is_empty() => Ok((kind, name)),
        _ => Err(ProviderError::new(
            ErrorClass::Fatal,
            "tags",
            format!("{arn:?} is not the ARN of an IAM role, instance profile, policy or OpenID Connect provider"),
        )),
    }
}

/// Tags of IAM resources, by ARN: each resource type has its own calls
/// (`ListRoleTags`/`TagRole`/`UntagRole`, the instance-profile and policy
/// ones).
pub(crate) struct IamTags;

#[async_trait]
impl Tagging for IamTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let c = client(aws, region);
        let tags = match target(arn)? {
            ("role", name) => c.list_role_tags().role_name(name).send().await.map_err(err("ListRoleTags"))?.tags().to_vec(),
            ("instance-profile", name) => c
                .list_instance_profile_tags()
                .instance_profile_name(name)
                .send()
                .await
                .map_err(err("ListInstanceProfileTags"))?
                .tags()
                .to_vec(),
            ("oidc-provider", _) => c
                .list_open_id_connect_provider_tags()
                .open_id_connect_provider_arn(arn)
                .send()
                .await
                .map_err(err("ListOpenIDConnectProviderTags"))?
                .tags()
                .to_vec(),
            _ => c.list_policy_tags().policy_arn(arn).send().await.map_err(err("ListPolicyTags"))?.tags().to_vec(),
        };
        Ok(tags_of(&tags))
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        let (kind, name) = target(arn)?;
        let keys = Some(remove.to_vec());
        if !remove.is_empty() {
            match kind {
                "role" => c.untag_role().role_name(name).set_tag_keys(keys).send().await.map(|_| ()).map_err(err("UntagRole"))?,
                "instance-profile" => c
                    .untag_instance_profile()
                    .instance_profile_name(name)
                    .set_tag_keys(keys)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("UntagInstanceProfile"))?,
                "oidc-provider" => c
                    .untag_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .set_tag_keys(keys)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("UntagOpenIDConnectProvider"))?,
                _ => c.untag_policy().policy_arn(arn).set_tag_keys(keys).send().await.map(|_| ()).map_err(err("UntagPolicy"))?,
            }
        }
        if !add.is_empty() {
            let tags = Some(sdk_tags(add)?);
            match kind {
                "role" => c.tag_role().role_name(name).set_tags(tags).send().await.map(|_| ()).map_err(err("TagRole"))?,
                "instance-profile" => c
                    .tag_instance_profile()
                    .instance_profile_name(name)
                    .set_tags(tags)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("TagInstanceProfile"))?,
                "oidc-provider" => c
                    .tag_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .set_tags(tags)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("TagOpenIDConnectProvider"))?,
                _ => c.tag_policy().policy_arn(arn).set_tags(tags).send().await.map(|_| ()).map_err(err("TagPolicy"))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_tag_calls() {
        assert_eq!(target("arn:aws:iam::123456789012:role/service-role/backup").ok(), Some(("role", "backup")));
        assert_eq!(target("arn:aws:iam::123456789012:instance-profile/web").ok(), Some(("instance-profile", "web")));
        assert_eq!(target("arn:aws:iam::123456789012:policy/p/read").ok(), Some(("policy", "read")));
        assert_eq!(
            target("arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC").ok().map(|t| t.0),
            Some("oidc-provider")
        );
        assert!(target("arn:aws:iam::123456789012:user/bob").is_err());
        assert!(target("backup").is_err());
    }

    #[test]
    fn names_and_paths() {
        assert!(name_problem("strata-miamo-backup", 64).is_none());
        assert!(name_problem("has space", 64).is_some());
        assert!(name_problem(&"x".repeat(65), 64).is_some());
        assert!(path_problem("/").is_none());
        assert!(path_problem("/service-role/").is_none());
        assert!(path_problem("service-role").is_some());
        assert!(path_problem("/a//b/").is_some());
    }
}
