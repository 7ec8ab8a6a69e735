//! `aws:iam:OpenIdConnectProvider`: an OpenID Connect identity provider the
//! account trusts (what EKS service accounts assume roles through).

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Diagnostic, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, ProviderError};

use crate::{client, sdk_tags, tags_of, IamTags};

strata_aws::kind_fields! {
    /// An OpenID Connect provider.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_iam::OpenIdConnectProvider;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let oidc = stack.add(
    ///     "eks-oidc",
    ///     OpenIdConnectProvider::new("https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE")
    ///         .client_id("sts.amazonaws.com"),
    /// );
    /// let _ = oidc.arn();
    /// ```
    pub struct OpenIdConnectProvider: "aws:iam:OpenIdConnectProvider";
    values OpenIdConnectProviderValues;
    handle OpenIdConnectProviderHandle / OpenIdConnectProviderOutputs { arn, url };
    fields {
        /// The issuer's URL (`https://…`, as the tokens' `iss` claim has it).
        url: str [replace required private];
        /// The audiences (`aud`) of the tokens it accepts, such as `sts.amazonaws.com`.
        client_ids: strs [update] = Vec::<String>::new();
        /// SHA-1 thumbprints of the issuer's certificate (40 hex digits each);
        /// AWS verifies well-known issuers, EKS's among them, without them.
        thumbprints: strs [update] = Vec::<String>::new();
    }
}

impl OpenIdConnectProvider {
    /// A provider for the issuer at `url` (an output, such as an EKS
    /// cluster's issuer URL, or a literal `https://` URL).
    pub fn new(url: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().url(url)
    }

    /// Accept tokens for this audience (besides the others).
    pub fn client_id(self, id: impl Into<strata_core::Arg<String>>) -> Self {
        self.push(V::client_ids, id.into().into_input())
    }

    /// Trust a certificate with this SHA-1 thumbprint (besides the others).
    pub fn thumbprint(self, sha1: impl Into<strata_core::Arg<String>>) -> Self {
        self.push(V::thumbprints, sha1.into().into_input())
    }
}

type V = OpenIdConnectProviderValues;

/// The kind behind [`OpenIdConnectProvider`].
pub(crate) struct OidcProviders;

/// A provider as read: its ARN and, once read, its URL, audiences,
/// thumbprints and tags.
pub(crate) struct Item {
    arn: String,
    read: Option<(String, Vec<String>, Vec<String>, Tags)>,
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Item, ProviderError> {
    let out = client(aws, region)
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .map_err(err("GetOpenIDConnectProvider"))?;
    // IAM answers the URL without its scheme.
    let url = out.url().map(|u| if u.starts_with("https://") { u.to_string() } else { format!("https://{u}") }).unwrap_or_default();
    let read = (url, sorted(out.client_id_list().to_vec()), sorted(out.thumbprint_list().to_vec()), tags_of(out.tags()));
    Ok(Item { arn: arn.to_string(), read: Some(read) })
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect()
}

#[async_trait]
impl Kind for OidcProviders {
    type Builder = OpenIdConnectProvider;
    type Item = Item;
    type Tags = IamTags;

    const GLOBAL: bool = true;

    fn id(item: &Item) -> Option<&str> {
        Some(&item.arn)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        item.read.as_ref().map(|r| r.3.clone())
    }

    fn observe(item: &Item) -> Seen<OpenIdConnectProvider> {
        let (url, ids, thumbs) = match &item.read {
            Some((u, i, t, _)) => (Some(u.clone()), Some(i.clone()), Some(t.clone())),
            None => (None, None, None),
        };
        Seen {
            values: V { url: url.clone(), client_ids: ids, thumbprints: thumbs, ..V::default() },
            outputs: OpenIdConnectProviderOutputs { arn: Some(item.arn.clone()), url },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, item: Item) -> Result<Item, ProviderError> {
        if item.read.is_some() {
            return Ok(item);
        }
        read(aws, region, &item.arn).await
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // The list has only ARNs (and no pages): the kernel reads each
        // provider's tags, and completes the stack's own.
        let out = client(aws, &scope.region).list_open_id_connect_providers().send().await.map_err(err("ListOpenIDConnectProviders"))?;
        Ok(out.open_id_connect_provider_list().iter().filter_map(|p| p.arn()).map(|arn| Item { arn: arn.to_string(), read: None }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        read(aws, region, id).await.map(Some)
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, OpenIdConnectProvider>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = client(aws, &cx.region)
            .create_open_id_connect_provider()
            .set_url(v.url.clone())
            .set_client_id_list(v.client_ids.clone())
            .set_thumbprint_list(v.thumbprints.clone().filter(|t| !t.is_empty()))
            .set_tags(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreateOpenIDConnectProvider"))?;
        let arn = out.open_id_connect_provider_arn().ok_or_else(|| strata_aws::lacks("CreateOpenIDConnectProvider", "OpenIDConnectProviderArn", &cx.name))?;
        Ok(Created::Id(arn.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, OpenIdConnectProvider>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, arn) = (&want.values, actual.id.as_str());
        let c = client(aws, &want.cx.region);
        if diff.changed(V::client_ids).is_some() {
            let have = strs(actual.props.get(V::client_ids));
            let want_ids = v.client_ids.clone().unwrap_or_default();
            for id in want_ids.iter().filter(|i| !have.contains(i)) {
                c.add_client_id_to_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(err("AddClientIDToOpenIDConnectProvider"))?;
            }
            for id in have.iter().filter(|i| !want_ids.contains(i)) {
                c.remove_client_id_from_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(err("RemoveClientIDFromOpenIDConnectProvider"))?;
            }
        }
        if diff.changed(V::thumbprints).is_some() {
            c.update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(arn)
                .set_thumbprint_list(v.thumbprints.clone())
                .send()
                .await
                .map_err(err("UpdateOpenIDConnectProviderThumbprint"))?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region)
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(&actual.id)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteOpenIDConnectProvider"))
    }

    fn normalize(props: &mut strata_core::Props) {
        // Audiences and thumbprints have no order; IAM keeps thumbprints lowercased.
        for f in [V::client_ids, V::thumbprints] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                if f == V::thumbprints {
                    l.iter_mut().for_each(|t| {
                        if let Value::Str(s) = t {
                            *s = s.to_ascii_lowercase();
                        }
                    });
                }
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(url) = decl.known(V::url).and_then(|v| v.as_str().map(str::to_string)) {
            let host = url.strip_prefix("https://").unwrap_or_default();
            if host.is_empty() || url.len() > 255 || url.contains(['?', '#', ' ']) || url.split_once("://").is_some_and(|(_, r)| r.contains(':')) {
                out.push(Diagnostic::field(&decl.name, V::url, format!("{url:?} is not an issuer URL (https://host/path, no port, query or fragment, 255 at most)")));
            }
        }
        if let Some(Value::List(l)) = decl.known(V::client_ids) {
            if l.len() > 100 {
                out.push(Diagnostic::field(&decl.name, V::client_ids, format!("{} audiences: IAM takes 100 at most", l.len())));
            }
            for id in l.iter().filter_map(Value::as_str).filter(|i| i.is_empty() || i.len() > 255) {
                out.push(Diagnostic::field(&decl.name, V::client_ids, format!("{id:?} is not a client id (1 to 255 characters)")));
            }
        }
        if let Some(Value::List(l)) = decl.known(V::thumbprints) {
            if l.len() > 5 {
                out.push(Diagnostic::field(&decl.name, V::thumbprints, format!("{} thumbprints: IAM takes 5 at most", l.len())));
            }
            for t in l.iter().filter_map(Value::as_str).filter(|t| t.len() != 40 || !t.chars().all(|c| c.is_ascii_hexdigit())) {
                out.push(Diagnostic::field(&decl.name, V::thumbprints, format!("{t:?} is not a SHA-1 thumbprint (40 hex digits)")));
            }
        }
    }
}
