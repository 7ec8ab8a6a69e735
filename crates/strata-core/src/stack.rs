//! The stack: what a program declares.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use serde::Serialize;

use crate::output::{Input, Output, OutputValue};
use crate::value::Tags;

/// A resource (or lookup) of a [`Stack`]: its index there, and the stack's
/// serial (unique in the process), so that a reference carried into another
/// `Stack` value is recognised and refused instead of pointing at whatever
/// resource has the same index there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct ResourceId(pub usize, pub u64);

/// The next stack serial.
static NEXT_STACK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Tag keys of the state-tag contract (see `docs/ARCHITECTURE.md`).
pub mod tags {
    /// The stack that owns the resource.
    pub const STACK: &str = "strata:stack";
    /// The resource's logical name inside its stack.
    pub const RESOURCE: &str = "strata:resource";
    /// Present (`"true"`) when the resource is protected against delete and replace.
    pub const PROTECT: &str = "strata:protect";
    /// Present (`"true"`) when removing the declaration leaves the resource in AWS.
    pub const RETAIN: &str = "strata:retain";
    /// Every key the engine owns.
    pub const ALL: [&str; 4] = [STACK, RESOURCE, PROTECT, RETAIN];

    // Keys the AWS providers keep their own state in. Every `strata:*` tag key
    // is defined here and nowhere else (the architecture test checks it).

    /// The region a global resource (Route 53, CloudFront) was declared in.
    pub const REGION: &str = "strata:region";
    /// SHA-256 of a key pair's public key (EC2 does not return the key).
    pub const PUBLIC_KEY_SHA256: &str = "strata:public-key-sha256";
    /// SHA-256 of an instance's user data (EC2 returns it only on request).
    pub const USER_DATA_SHA256: &str = "strata:user-data-sha256";
    /// A certificate validation's state, on the certificate.
    pub const VALIDATION: &str = "strata:validation";
    /// Whether a delete takes a final snapshot (RDS instances: `skip` or absent;
    /// DocumentDB clusters: `false` or `true`).
    pub const FINAL_SNAPSHOT: &str = "strata:final-snapshot";
    /// The engine a DB subnet group was made for (`docdb`): RDS, DocumentDB
    /// and Neptune list one another's groups as their own.
    pub const ENGINE: &str = "strata:engine";
    /// A web ACL's associations.
    pub const ASSOCIATIONS: &str = "strata:associations";
    /// The hash of a CloudFront distribution's configuration.
    pub const CONFIG_HASH: &str = "strata:config-hash";
    /// A backup plan's selections.
    pub const SELECTIONS: &str = "strata:selections";
    /// A bucket whose delete empties it first.
    pub const FORCE_DESTROY: &str = "strata:force-destroy";
    /// Days a deleted secret stays recoverable (AWS does not report it).
    pub const RECOVERY_WINDOW_DAYS: &str = "strata:recovery-window-days";
    /// Days between a KMS key's destroy and its deletion (AWS does not report it).
    pub const DELETION_WINDOW_DAYS: &str = "strata:deletion-window-days";
    /// Where a Lambda function's code was taken from in S3 (`s3://bucket/key#version`):
    /// Lambda does not report it.
    pub const CODE_S3: &str = "strata:code-s3";
    /// On a rotated secret: the logical name of its rotation (a setting of
    /// the secret, owned through it).
    pub const ROTATION: &str = "strata:rotation";
}

/// A resource type: its builder is the implementing type.
///
/// The AWS crate implements this for every builder; `KIND` names the provider that
/// will manage it (for example `aws:ec2:Vpc`).
pub trait Resource {
    const KIND: &'static str;
    /// The handle returned by [`Stack::add`]; it exposes the resource's outputs.
    type Handle: From<RefCore> + Clone;
    /// The builder's fields as inputs. Required fields that are missing are
    /// reported by the provider's validation, not here.
    fn into_inputs(self) -> BTreeMap<String, Input>;
}

/// The untyped part of a resource handle: which resource, and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefCore {
    pub id: ResourceId,
    pub name: String,
}

impl RefCore {
    /// An output reading attribute `attr` of this resource.
    pub fn output<T: OutputValue>(&self, attr: &str) -> Output<T> {
        Output::attribute(self.id, attr)
    }
}

/// A typed handle to a declared resource. Dereferences to the resource's handle
/// type, whose methods (`vpc.id()`, `alb.dns_name()`, ...) return outputs.
pub struct Ref<R: Resource> {
    core: RefCore,
    handle: R::Handle,
}

impl<R: Resource> Clone for Ref<R> {
    fn clone(&self) -> Self {
        Ref { core: self.core.clone(), handle: self.handle.clone() }
    }
}

impl<R: Resource> fmt::Debug for Ref<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref<{}>({})", R::KIND, self.core.name)
    }
}

impl<R: Resource> Ref<R> {
    pub fn core(&self) -> &RefCore {
        &self.core
    }
    pub fn id_in_stack(&self) -> ResourceId {
        self.core.id
    }
    /// The logical name. (Resource handles name their AWS-side names
    /// differently, `group_name()`, `key_name()`, so that this never hides them.)
    pub fn name(&self) -> &str {
        &self.core.name
    }
}

impl<R: Resource> Deref for Ref<R> {
    type Target = R::Handle;
    fn deref(&self) -> &R::Handle {
        &self.handle
    }
}

/// Anything that can be named in `depends_on`.
pub trait AsResourceId {
    fn resource_id(&self) -> ResourceId;
}
impl<R: Resource> AsResourceId for Ref<R> {
    fn resource_id(&self) -> ResourceId {
        self.core.id
    }
}
impl AsResourceId for RefCore {
    fn resource_id(&self) -> ResourceId {
        self.id
    }
}

/// Per-operation time limits; `None` takes the provider's default for the kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

/// Options that apply to any resource, as Pulumi and Terraform users know them.
#[derive(Clone, Debug, Default)]
pub struct ResourceOptions {
    /// Never delete or replace; a plan that would is an error.
    pub protect: bool,
    /// When the declaration goes away (or on destroy), leave the resource in AWS
    /// and remove its state tags instead of deleting it.
    pub retain_on_delete: bool,
    /// Fields whose differences are ignored when planning updates.
    pub ignore_changes: Vec<String>,
    /// Replace by deleting first, then creating (default: create, then delete).
    pub delete_before_replace: bool,
    pub timeouts: Timeouts,
    /// Region override (for example `us-east-1` for CloudFront certificates).
    pub region: Option<String>,
    /// Take over an existing, untagged resource with this physical id.
    pub adopt: Option<String>,
    /// Dependencies that no output reference expresses.
    pub depends_on: Vec<ResourceId>,
    /// Fields whose change replaces the resource even where the provider
    /// could change them in place.
    pub replace_on_changes: Vec<String>,
}

impl ResourceOptions {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn protect(mut self) -> Self {
        self.protect = true;
        self
    }
    pub fn retain_on_delete(mut self) -> Self {
        self.retain_on_delete = true;
        self
    }
    pub fn ignore_changes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
        self.ignore_changes.extend(fields.into_iter().map(Into::into));
        self
    }
    /// Replace the resource (instead of updating it) when one of these fields changes.
    pub fn replace_on_changes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
        self.replace_on_changes.extend(fields.into_iter().map(Into::into));
        self
    }
    pub fn delete_before_replace(mut self) -> Self {
        self.delete_before_replace = true;
        self
    }
    pub fn create_timeout(mut self, d: Duration) -> Self {
        self.timeouts.create = Some(d);
        self
    }
    pub fn update_timeout(mut self, d: Duration) -> Self {
        self.timeouts.update = Some(d);
        self
    }
    pub fn delete_timeout(mut self, d: Duration) -> Self {
        self.timeouts.delete = Some(d);
        self
    }
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    pub fn adopt(mut self, physical_id: impl Into<String>) -> Self {
        self.adopt = Some(physical_id.into());
        self
    }
    pub fn depends_on(mut self, r: &impl AsResourceId) -> Self {
        self.depends_on.push(r.resource_id());
        self
    }
}

/// How a read-only lookup (data source) finds its resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum LookupQuery {
    /// By physical id (`vpc-0abc...`).
    ById(String),
    /// By provider filters, for example `("tag:Name", ["shared"])` or
    /// `("owner-id", ["099720109477"])`.
    ByFilters(Vec<(String, Vec<String>)>),
    /// A resource managed by another strata stack: a stack reference.
    StackRef { stack: String, resource: String },
}

/// Whether a declaration is managed or only read.
#[derive(Clone, Debug)]
pub enum Mode {
    Managed,
    Lookup(LookupQuery),
}

/// One declared resource or lookup, type-erased.
#[derive(Clone, Debug)]
pub struct ResourceDecl {
    pub id: ResourceId,
    pub kind: &'static str,
    pub name: String,
    pub inputs: BTreeMap<String, Input>,
    pub options: ResourceOptions,
    pub mode: Mode,
}

impl ResourceDecl {
    /// Every resource this one depends on: output references plus `depends_on`.
    pub fn deps(&self) -> BTreeSet<ResourceId> {
        let mut out = BTreeSet::new();
        for input in self.inputs.values() {
            input.deps(&mut out);
        }
        out.extend(self.options.depends_on.iter().copied());
        out
    }

    pub fn is_lookup(&self) -> bool {
        matches!(self.mode, Mode::Lookup(_))
    }

    /// The known value of an input field, if it has one at plan time.
    pub fn known(&self, field: &str) -> Option<crate::Value> {
        self.inputs.get(field).and_then(Input::known)
    }
}

/// A stack: the set of resources one program declares, under one name.
///
/// ```
/// use strata_core::Stack;
/// let mut stack = Stack::new("shop-prod", "eu-central-1");
/// stack.default_tag("env", "prod");
/// assert_eq!(stack.name(), "shop-prod");
/// ```
#[derive(Debug, Clone)]
pub struct Stack {
    name: String,
    region: String,
    resources: Vec<ResourceDecl>,
    default_tags: Tags,
    exports: BTreeMap<String, Input>,
    prefix: Vec<String>,
    serial: u64,
}

impl Stack {
    pub fn new(name: impl Into<String>, region: impl Into<String>) -> Self {
        Stack {
            name: name.into(),
            region: region.into(),
            resources: Vec::new(),
            default_tags: Tags::new(),
            exports: BTreeMap::new(),
            prefix: Vec::new(),
            serial: NEXT_STACK.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// This value's serial (the second half of its `ResourceId`s).
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Whether `id` is a resource of this stack (not of another `Stack` value).
    pub fn owns(&self, id: ResourceId) -> bool {
        id.1 == self.serial && id.0 < self.resources.len()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Rename the stack (the runner's `--stack` option): a second copy of the
    /// same program under another name is a separate set of resources.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    pub fn set_region(&mut self, region: impl Into<String>) {
        self.region = region.into();
    }

    /// A tag merged into every resource's tags (a resource's own tag wins).
    pub fn default_tag(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.default_tags.insert(key.into(), value.into());
        self
    }

    pub fn default_tags(&self) -> &Tags {
        &self.default_tags
    }

    /// Declare a resource with default options.
    pub fn add<R: Resource>(&mut self, name: impl Into<String>, resource: R) -> Ref<R> {
        self.add_with(name, resource, ResourceOptions::default())
    }

    /// Declare a resource with options.
    pub fn add_with<R: Resource>(
        &mut self,
        name: impl Into<String>,
        resource: R,
        options: ResourceOptions,
    ) -> Ref<R> {
        let inputs = resource.into_inputs();
        self.push::<R>(name.into(), inputs, options, Mode::Managed)
    }

    /// Declare a read-only lookup (a data source). The resource is never changed.
    pub fn lookup<R: Resource>(&mut self, name: impl Into<String>, query: LookupQuery) -> Ref<R> {
        self.push::<R>(name.into(), BTreeMap::new(), ResourceOptions::default(), Mode::Lookup(query))
    }

    /// Same as [`Stack::lookup`] in another region.
    pub fn lookup_in<R: Resource>(
        &mut self,
        name: impl Into<String>,
        region: impl Into<String>,
        query: LookupQuery,
    ) -> Ref<R> {
        let options = ResourceOptions::default().region(region);
        self.push::<R>(name.into(), BTreeMap::new(), options, Mode::Lookup(query))
    }

    fn push<R: Resource>(
        &mut self,
        name: String,
        inputs: BTreeMap<String, Input>,
        options: ResourceOptions,
        mode: Mode,
    ) -> Ref<R> {
        let id = ResourceId(self.resources.len(), self.serial);
        let full = self.qualified(&name);
        self.resources.push(ResourceDecl { id, kind: R::KIND, name: full.clone(), inputs, options, mode });
        let core = RefCore { id, name: full };
        Ref { handle: R::Handle::from(core.clone()), core }
    }

    fn qualified(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{}", self.prefix.join("/"), name)
        }
    }

    /// Run `f` with every resource it adds named `prefix/...`: a component.
    ///
    /// ```
    /// use strata_core::Stack;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let n = stack.component("network", |s| s.resources().len());
    /// assert_eq!(n, 0);
    /// ```
    pub fn component<T>(&mut self, prefix: &str, f: impl FnOnce(&mut Stack) -> T) -> T {
        self.prefix.push(prefix.to_string());
        let out = f(self);
        self.prefix.pop();
        out
    }

    /// Publish a value as a stack output (`outputs` prints them).
    pub fn export(&mut self, name: impl Into<String>, value: impl Into<Input>) {
        self.exports.insert(self.qualified(&name.into()), value.into());
    }

    pub fn exports(&self) -> &BTreeMap<String, Input> {
        &self.exports
    }

    pub fn resources(&self) -> &[ResourceDecl] {
        &self.resources
    }

    pub fn resource(&self, id: ResourceId) -> Option<&ResourceDecl> {
        self.resources.get(id.0).filter(|_| id.1 == self.serial)
    }

    /// The region a resource lives in.
    pub fn region_of(&self, decl: &ResourceDecl) -> String {
        decl.options.region.clone().unwrap_or_else(|| self.region.clone())
    }

    /// Change a declared resource's options after the fact (components use this).
    pub fn options_mut(&mut self, id: ResourceId) -> Option<&mut ResourceOptions> {
        let serial = self.serial;
        self.resources.get_mut(id.0).filter(|_| id.1 == serial).map(|d| &mut d.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct ThingHandle(RefCore);
    impl From<RefCore> for ThingHandle {
        fn from(c: RefCore) -> Self {
            ThingHandle(c)
        }
    }
    impl ThingHandle {
        fn id(&self) -> Output<String> {
            self.0.output("id")
        }
    }
    struct Thing(Option<Input>);
    impl Resource for Thing {
        const KIND: &'static str = "test:Thing";
        type Handle = ThingHandle;
        fn into_inputs(self) -> BTreeMap<String, Input> {
            self.0.into_iter().map(|i| ("parent".to_string(), i)).collect()
        }
    }

    #[test]
    fn references_become_dependencies_and_components_prefix_names() {
        let mut s = Stack::new("t", "eu-central-1");
        let a = s.add("a", Thing(None));
        let b = s.component("net", |s| s.add("b", Thing(Some(a.id().into()))));
        let c = s.add_with("c", Thing(None), ResourceOptions::new().depends_on(&b));
        assert_eq!(b.name(), "net/b");
        assert_eq!(s.resources()[1].deps(), BTreeSet::from([a.id_in_stack()]));
        assert_eq!(s.resources()[2].deps(), BTreeSet::from([b.id_in_stack()]));
        assert_eq!(c.name(), "c");
    }
}
