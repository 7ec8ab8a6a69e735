//! Fields declared once: [`crate::kind_fields!`] and what it expands to.

use strata_core::{Props, Secret, Value};

use super::Field;

/// A typed field value: how it is read from props and written to them.
pub trait FieldValue: Sized {
    /// The value of `field` in `props` (absent, null or mistyped: `None`).
    fn read(props: &Props, field: &str) -> Option<Self>;
    /// Its prop value.
    fn value(self) -> Value;
}

impl FieldValue for String {
    fn read(props: &Props, field: &str) -> Option<Self> {
        props.get(field).and_then(Value::as_str).map(str::to_string)
    }
    fn value(self) -> Value {
        Value::Str(self)
    }
}

impl FieldValue for i64 {
    fn read(props: &Props, field: &str) -> Option<Self> {
        props.get(field).and_then(Value::as_int)
    }
    fn value(self) -> Value {
        Value::Int(self)
    }
}

impl FieldValue for bool {
    fn read(props: &Props, field: &str) -> Option<Self> {
        props.get(field).and_then(Value::as_bool)
    }
    fn value(self) -> Value {
        Value::Bool(self)
    }
}

impl FieldValue for Vec<String> {
    fn read(props: &Props, field: &str) -> Option<Self> {
        let l = props.get(field).and_then(Value::as_list)?;
        Some(l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
    }
    fn value(self) -> Value {
        Value::List(self.into_iter().map(Value::Str).collect())
    }
}

impl FieldValue for Vec<Value> {
    fn read(props: &Props, field: &str) -> Option<Self> {
        props.get(field).and_then(Value::as_list).map(<[Value]>::to_vec)
    }
    fn value(self) -> Value {
        Value::List(self)
    }
}

impl FieldValue for std::collections::BTreeMap<String, String> {
    fn read(props: &Props, field: &str) -> Option<Self> {
        let m = props.get(field).and_then(Value::as_map)?;
        Some(m.iter().filter_map(|(k, v)| Some((k.clone(), v.expose().as_str()?.to_string()))).collect())
    }
    fn value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, Value::Str(v))).collect())
    }
}

impl FieldValue for Value {
    fn read(props: &Props, field: &str) -> Option<Self> {
        props.get(field).filter(|v| !matches!(v, Value::Null)).cloned()
    }
    fn value(self) -> Value {
        self
    }
}

impl FieldValue for std::collections::BTreeMap<String, Value> {
    fn read(props: &Props, field: &str) -> Option<Self> {
        props.get(field).and_then(Value::as_map).cloned()
    }
    fn value(self) -> Value {
        Value::Map(self)
    }
}

impl FieldValue for Secret<String> {
    fn read(props: &Props, field: &str) -> Option<Self> {
        String::read(props, field).map(Secret::new)
    }
    fn value(self) -> Value {
        Value::Secret(Box::new(Value::Str(self.expose().clone())))
    }
}

/// Two flag names are the same (for [`crate::kind_fields!`], in const context).
#[doc(hidden)]
pub const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// How many of `fields` replace the resource when they change.
pub const fn count_replace(fields: &[Field]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        if fields[i].replace {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The names of the fields that replace the resource, in declaration order.
pub const fn replace_names<const N: usize>(fields: &[Field]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut j) = (0, 0);
    while i < fields.len() {
        if fields[i].replace {
            out[j] = fields[i].name;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Declares a kind's builder, fields and outputs once.
///
/// ```
/// strata_aws::kind_fields! {
///     /// A thing.
///     pub struct Thing: "aws:demo:Thing";
///     values ThingValues;
///     handle ThingHandle / ThingOutputs { arn };
///     fields {
///         /// Its name.
///         name: str [replace required];
///         /// How long to keep it, in days.
///         days: int [update] = 30;
///         /// Its password.
///         password: secret [update];
///         /// Its labels.
///         labels: map [update];
///     }
/// }
/// impl Thing {
///     fn label(self, k: &str, v: &str) -> Self {
///         self.put(ThingValues::labels, k, v.into())
///     }
/// }
/// let t = Thing::empty().name("a").days(7).label("team", "ops");
/// assert_eq!(<Thing as strata_aws::kernel::Declared>::REPLACE, &["name"]);
/// let inputs = strata_core::Resource::into_inputs(t);
/// assert!(matches!(&inputs["labels"], strata_core::Input::Map(m) if m.len() == 1));
/// ```
///
/// An output called `name` is refused at compile time (`Ref::name()`, the
/// logical name, would hide its accessor):
///
/// ```compile_fail
/// strata_aws::kind_fields! {
///     /// A thing.
///     pub struct Thing: "aws:demo:Thing";
///     values ThingValues;
///     handle ThingHandle / ThingOutputs { arn, name };
///     fields {
///         /// Its name.
///         name: str [replace];
///     }
/// }
/// ```
///
/// Field types: `str` (a string or an output), `int`, `bool`, `strs` (a list
/// of strings or outputs), `list` (a list of structured items: no setter, it
/// starts empty and the kind's builder methods append with the private
/// `push`), `map` (names to strings or outputs: no setter, it starts empty
/// and the kind's builder methods set entries with the private `put`),
/// `secret` (a string, masked everywhere), `policy` (an IAM policy document,
/// [`crate::policy::PolicyDocument`]: compared in its canonical form and
/// checked before any call), `policies` (names to policy documents: no
/// setter, it starts empty and the kind's builder methods `put` entries).
/// Outputs are strings, `name: secret` (masked; its accessor gives an
/// `Output<Secret<String>>`), or `name: map` (a map the kind keeps for
/// itself, with no accessor on the handle). Flags:
/// `replace` or `update`; `required`; `cleared` (unset means none, and is
/// compared: removing the setter from the program clears the field, where an
/// unset field is otherwise left as the cloud has it); `writeonly` (sent on
/// create, never read back, not compared); `private` (no public setter: the
/// kind's constructor sets it). `= value` sets a default.
///
/// It generates: the builder struct with one `#[must_use]` setter per field
/// (its doc line from the declaration) and `tag`; `Resource` (the inputs);
/// [`crate::kernel::Declared`] (the field table, the replace list); the typed
/// values struct (one `Option` per field and `tags`, with an associated
/// constant per field name for [`strata_engine::Diff::changed`]); the handle
/// and its typed outputs. The builder's `empty()` is private to the module:
/// the kind writes its public constructor on top of the setters.
#[macro_export]
macro_rules! kind_fields {
    (
        $(#[$meta:meta])*
        pub struct $name:ident : $kind:literal ;
        values $values:ident ;
        handle $handle:ident / $outputs:ident { $($out:ident $(: $oty:ident)?),* $(,)? } ;
        fields {
            $( $(#[doc = $doc:literal])* $f:ident : $ty:ident [$($flag:ident)+] $(= $def:expr)? ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        #[must_use]
        pub struct $name {
            inputs: ::std::collections::BTreeMap<::std::string::String, $crate::__private::Input>,
        }

        #[allow(dead_code)]
        impl $name {
            /// The builder with only the defaults set.
            fn empty() -> Self {
                #[allow(unused_mut)]
                let mut inputs = $crate::kernel::initial_inputs();
                $( if $crate::__flag!(cleared; $($flag)+) {
                    // Unset means none: compared, so that removing it from the program clears it.
                    inputs.insert(stringify!($f).to_string(), $crate::__private::Input::Known($crate::__private::Value::Null));
                } )*
                $( match $crate::__collection!($ty) {
                    1 => { inputs.insert(stringify!($f).to_string(), $crate::__private::Input::List(::std::vec::Vec::new())); }
                    2 => { inputs.insert(stringify!($f).to_string(), $crate::__private::Input::Map(::std::collections::BTreeMap::new())); }
                    _ => {}
                } )*
                $( $( inputs.insert(stringify!($f).to_string(), $crate::__field_input!($ty, $def)); )? )*
                $name { inputs }
            }
            $( $crate::__setter!([$($flag)+] $(#[doc = $doc])* $f $ty); )*
            /// Append one item to a list field (a `strs` field left unset starts a list).
            fn push(mut self, field: &str, item: $crate::__private::Input) -> Self {
                match self.inputs.get_mut(field) {
                    Some($crate::__private::Input::List(l)) => l.push(item),
                    _ => {
                        self.inputs.insert(field.to_string(), $crate::__private::Input::List(vec![item]));
                    }
                }
                self
            }
            /// Set one entry of a map field (a map field left unset starts a map).
            fn put(mut self, field: &str, key: impl Into<::std::string::String>, value: $crate::__private::Input) -> Self {
                match self.inputs.get_mut(field) {
                    Some($crate::__private::Input::Map(m)) => {
                        m.insert(key.into(), value);
                    }
                    _ => {
                        self.inputs.insert(field.to_string(), $crate::__private::Input::Map(::std::collections::BTreeMap::from([(key.into(), value)])));
                    }
                }
                self
            }
            /// A tag on the resource, besides the stack's default tags and its state tags.
            #[must_use]
            pub fn tag(
                mut self,
                key: impl Into<::std::string::String>,
                value: impl Into<$crate::__private::Arg<::std::string::String>>,
            ) -> Self {
                if let Some($crate::__private::Input::Map(t)) = self.inputs.get_mut("tags") {
                    t.insert(key.into(), value.into().into_input());
                }
                self
            }
        }

        impl $crate::__private::Resource for $name {
            const KIND: &'static str = $kind;
            type Handle = $handle;
            fn into_inputs(self) -> ::std::collections::BTreeMap<::std::string::String, $crate::__private::Input> {
                self.inputs
            }
        }

        impl $crate::kernel::Declared for $name {
            const FIELDS: &'static [$crate::kernel::Field] = &[
                $( $crate::kernel::Field {
                    name: stringify!($f),
                    replace: $crate::__flag!(replace; $($flag)+),
                    required: $crate::__flag!(required; $($flag)+),
                    secret: $crate::__field_secret!($ty),
                    writeonly: $crate::__flag!(writeonly; $($flag)+),
                    ty: $crate::__field_kind!($ty),
                }, )*
            ];
            const REPLACE: &'static [&'static str] =
                &$crate::kernel::replace_names::<{ $crate::kernel::count_replace(<$name as $crate::kernel::Declared>::FIELDS) }>(
                    <$name as $crate::kernel::Declared>::FIELDS,
                );
            type Values = $values;
            type Outputs = $outputs;
        }

        #[doc = concat!("The fields of a [`", stringify!($name), "`], typed (desired or observed).")]
        #[derive(Clone, Debug, Default, PartialEq)]
        #[allow(dead_code)]
        pub struct $values {
            $( $(#[doc = $doc])* pub $f: Option<$crate::__field_type!($ty)>, )*
            /// The tags, state tags included.
            pub tags: $crate::__private::Tags,
        }

        #[allow(non_upper_case_globals, dead_code)]
        impl $values {
            $( #[doc = concat!("The name of the `", stringify!($f), "` field.")]
               pub const $f: &'static str = stringify!($f); )*
        }

        impl $crate::kernel::Values for $values {
            fn from_props(props: &$crate::__private::Props) -> Self {
                $values {
                    $( $f: <$crate::__field_type!($ty) as $crate::kernel::FieldValue>::read(props, stringify!($f)), )*
                    tags: props.get("tags").map($crate::__private::Value::as_tags).unwrap_or_default(),
                }
            }
            fn into_props(self) -> $crate::__private::Props {
                #[allow(unused_mut)]
                let mut p = $crate::__private::Props::new();
                $( if let Some(v) = self.$f {
                    p.insert(stringify!($f).to_string(), $crate::kernel::FieldValue::value(v));
                } )*
                p.insert("tags".to_string(), $crate::__private::Value::from_tags(&self.tags));
                p
            }
            fn tags_mut(&mut self) -> &mut $crate::__private::Tags {
                &mut self.tags
            }
        }

        #[doc = concat!("Outputs of a [`", stringify!($name), "`].")]
        #[derive(Clone, Debug)]
        pub struct $handle($crate::__private::RefCore);

        impl From<$crate::__private::RefCore> for $handle {
            fn from(c: $crate::__private::RefCore) -> Self {
                $handle(c)
            }
        }

        impl $handle {
            /// The `id` output: the physical id.
            pub fn id(&self) -> $crate::__private::Output<::std::string::String> {
                self.0.output("id")
            }
            $( $crate::__output_accessor!($out $($oty)?); )*
        }

        #[doc = concat!("The outputs of a [`", stringify!($name), "`] besides `id`, typed.")]
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $outputs {
            $( #[doc = concat!("The `", stringify!($out), "` output.")] pub $out: Option<$crate::__output_type!($($oty)?)>, )*
        }

        #[allow(non_upper_case_globals, dead_code)]
        impl $outputs {
            $( #[doc = concat!("The name of the `", stringify!($out), "` output.")]
               pub const $out: &'static str = stringify!($out); )*
        }

        // `Ref::name()` (the logical name) would hide an output called `name`.
        const _: () = assert!(
            $crate::kernel::no_output_called_name(&[$(stringify!($out)),*]),
            "an output called `name` is hidden by `Ref::name()` (the logical name): call it `<kind>_name`"
        );

        impl $crate::kernel::Outputs for $outputs {
            fn into_props(self) -> $crate::__private::Props {
                #[allow(unused_mut)]
                let mut p = $crate::__private::Props::new();
                $( if let Some(v) = self.$out {
                    p.insert(stringify!($out).to_string(), $crate::__output_value!(v $($oty)?));
                } )*
                p
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_arg {
    (str) => { impl Into<$crate::__private::Arg<::std::string::String>> };
    (secret) => { impl Into<$crate::__private::Arg<::std::string::String>> };
    (int) => { i64 };
    (bool) => { bool };
    (strs) => { impl IntoIterator<Item = impl Into<$crate::__private::Arg<::std::string::String>>> };
    (list) => { ::std::vec::Vec<$crate::__private::Input> };
    (map) => { ::std::collections::BTreeMap<::std::string::String, $crate::__private::Input> };
    (policy) => { $crate::policy::PolicyDocument };
    (policies) => { ::std::collections::BTreeMap<::std::string::String, $crate::__private::Input> };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_input {
    (str, $v:expr) => { ::std::convert::Into::<$crate::__private::Arg<::std::string::String>>::into($v).into_input() };
    (secret, $v:expr) => { ::std::convert::Into::<$crate::__private::Arg<::std::string::String>>::into($v).into_input().into_secret() };
    (int, $v:expr) => { $crate::__private::Input::Known($crate::__private::Value::Int($v)) };
    (bool, $v:expr) => { $crate::__private::Input::Known($crate::__private::Value::Bool($v)) };
    (strs, $v:expr) => {
        $crate::__private::Input::List($v.into_iter().map(|s| ::std::convert::Into::<$crate::__private::Arg<::std::string::String>>::into(s).into_input()).collect())
    };
    (list, $v:expr) => { $crate::__private::Input::List($v) };
    (map, $v:expr) => { $crate::__private::Input::Map($v) };
    (policy, $v:expr) => { $crate::policy::PolicyDocument::into_input($v) };
    (policies, $v:expr) => { $crate::__private::Input::Map($v) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_type {
    (str) => { ::std::string::String };
    (secret) => { $crate::__private::Secret<::std::string::String> };
    (int) => { i64 };
    (bool) => { bool };
    (strs) => { ::std::vec::Vec<::std::string::String> };
    (list) => { ::std::vec::Vec<$crate::__private::Value> };
    (map) => { ::std::collections::BTreeMap<::std::string::String, ::std::string::String> };
    (policy) => { $crate::__private::Value };
    (policies) => { ::std::collections::BTreeMap<::std::string::String, $crate::__private::Value> };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_kind {
    (str) => { $crate::kernel::FieldType::Str };
    (secret) => { $crate::kernel::FieldType::Secret };
    (int) => { $crate::kernel::FieldType::Int };
    (bool) => { $crate::kernel::FieldType::Bool };
    (strs) => { $crate::kernel::FieldType::Strs };
    (list) => { $crate::kernel::FieldType::List };
    (map) => { $crate::kernel::FieldType::Map };
    (policy) => { $crate::kernel::FieldType::Policy };
    (policies) => { $crate::kernel::FieldType::Policies };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __output_type {
    () => { ::std::string::String };
    (map) => { ::std::collections::BTreeMap<::std::string::String, $crate::__private::Value> };
    (secret) => { $crate::__private::Secret<::std::string::String> };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __output_value {
    ($v:ident) => { $crate::__private::Value::Str($v) };
    ($v:ident map) => { $crate::__private::Value::Map($v) };
    ($v:ident secret) => { $crate::kernel::FieldValue::value($v) };
}

/// A string output has an accessor on the handle; a map output is the
/// kind's own (it is read back from the observed outputs).
#[doc(hidden)]
#[macro_export]
macro_rules! __output_accessor {
    ($out:ident) => {
        #[doc = concat!("The `", stringify!($out), "` output.")]
        pub fn $out(&self) -> $crate::__private::Output<::std::string::String> {
            self.0.output(stringify!($out))
        }
    };
    ($out:ident map) => {};
    ($out:ident secret) => {
        #[doc = concat!("The `", stringify!($out), "` output, masked everywhere.")]
        pub fn $out(&self) -> $crate::__private::Output<$crate::__private::Secret<::std::string::String>> {
            self.0.output::<::std::string::String>(stringify!($out)).secret()
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __collection {
    (list) => { 1 };
    (map) => { 2 };
    (policies) => { 2 };
    ($other:ident) => { 0 };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __field_secret {
    (secret) => { true };
    ($other:ident) => { false };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __flag {
    ($want:ident; $($flag:ident)*) => {{
        $( $crate::__known_flag!($flag); )*
        false $( || $crate::kernel::same(stringify!($want), stringify!($flag)) )*
    }};
}

/// Only the known flags expand: a misspelt one is a compile error.
#[doc(hidden)]
#[macro_export]
macro_rules! __known_flag {
    (replace) => {};
    (update) => {};
    (required) => {};
    (cleared) => {};
    (writeonly) => {};
    (private) => {};
}

/// A field's setter: public, or private to the module with the `private` flag.
#[doc(hidden)]
#[macro_export]
macro_rules! __setter {
    // A list field has no setter: it starts empty and the kind's own
    // builder methods `push` onto it.
    ([$($flags:ident)*] $(#[$m:meta])* $f:ident list) => {};
    ([$($flags:ident)*] $(#[$m:meta])* $f:ident map) => {};
    ([$($flags:ident)*] $(#[$m:meta])* $f:ident policies) => {};
    ([private $($rest:ident)*] $(#[$m:meta])* $f:ident $ty:ident) => {
        $(#[$m])*
        fn $f(mut self, v: $crate::__field_arg!($ty)) -> Self {
            self.inputs.insert(stringify!($f).to_string(), $crate::__field_input!($ty, v));
            self
        }
    };
    ([$first:ident $($rest:ident)*] $(#[$m:meta])* $f:ident $ty:ident) => {
        $crate::__setter!([$($rest)*] $(#[$m])* $f $ty);
    };
    ([] $(#[$m:meta])* $f:ident $ty:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $f(mut self, v: $crate::__field_arg!($ty)) -> Self {
            self.inputs.insert(stringify!($f).to_string(), $crate::__field_input!($ty, v));
            self
        }
    };
}
