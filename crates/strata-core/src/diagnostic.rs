//! Validation findings: each names the resource and the field.

use std::fmt;

use serde::Serialize;

/// One problem found before any API call.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// Logical name of the resource (or `stack` for stack-wide problems).
    pub resource: String,
    /// The offending field, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(resource: impl Into<String>, field: Option<&str>, message: impl Into<String>) -> Self {
        Diagnostic { resource: resource.into(), field: field.map(str::to_string), message: message.into() }
    }

    pub fn field(resource: &str, field: &str, message: impl Into<String>) -> Self {
        Self::new(resource, Some(field), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: field `{}`: {}", self.resource, field, self.message),
            None => write!(f, "{}: {}", self.resource, self.message),
        }
    }
}

/// Every problem found in a program, reported together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Invalid(pub Vec<Diagnostic>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the program is invalid ({} problem{}):", self.0.len(), if self.0.len() == 1 { "" } else { "s" })?;
        for d in &self.0 {
            writeln!(f, "  - {d}")?;
        }
        Ok(())
    }
}
