//! From SDK errors to [`ProviderError`]: keep the code, message and request id,
//! and classify for retries. EC2 errors are unmodelled, so classification goes
//! by `code()`.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use strata_engine::{ErrorClass, ProviderError};

use crate::counter::THROTTLING_CODES;

/// Classify an AWS error code (and HTTP status, when known).
pub fn classify_code(code: Option<&str>, status: Option<u16>) -> ErrorClass {
    match code {
        Some(c) if THROTTLING_CODES.contains(&c) => ErrorClass::Throttled,
        Some(
            "DependencyViolation" | "ResourceInUse" | "InvalidGroup.InUse" | "ResourceInUseException" | "DeleteConflict"
            | "CacheSubnetGroupInUse" | "InvalidDBSubnetGroupStateFault" | "InvalidDBSubnetGroupState"
            | "InvalidDBParameterGroupState",
        ) => {
            ErrorClass::DependencyViolation
        }
        Some(
            "AuthFailure" | "UnauthorizedOperation" | "ExpiredToken" | "ExpiredTokenException"
            | "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch"
            | "AccessDenied" | "AccessDeniedException" | "OptInRequired",
        ) => ErrorClass::Auth,
        Some("InternalError" | "InternalFailure" | "ServiceUnavailable" | "Unavailable" | "InsufficientInstanceCapacity") => {
            ErrorClass::Transient
        }
        // SQS: `QueueDoesNotExist` (JSON protocol), the query protocol's
        // `AWS.SimpleQueueService.NonExistentQueue`.
        Some("QueueDoesNotExist" | "AWS.SimpleQueueService.NonExistentQueue") => ErrorClass::NotFound,
        Some(c)
            if c.ends_with(".NotFound")
                || c.starts_with("NoSuch")
                || c.ends_with("NotFound")
                || c.ends_with("NotFoundException")
                || c.ends_with("NotFoundFault") =>
        {
            ErrorClass::NotFound
        }
        Some(
            "IncorrectState" | "IncorrectInstanceState" | "InvalidState" | "InvalidDBInstanceState"
            | "InvalidReplicationGroupState" | "InvalidCacheClusterState",
        ) => ErrorClass::Transient,
        _ => match status {
            Some(429) => ErrorClass::Throttled,
            Some(s) if s >= 500 => ErrorClass::Transient,
            Some(s) if (400..500).contains(&s) => ErrorClass::Invalid,
            _ => ErrorClass::Fatal,
        },
    }
}

/// Convert an SDK error from `operation` into a [`ProviderError`]. A service
/// error without a known code is classified by its HTTP status. No message
/// carries a response body.
pub fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let request_id = err.request_id().map(str::to_string);
    let (class, code, message) = match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().map(str::to_string);
            let status = Some(se.raw().status().as_u16());
            let class = classify_code(code.as_deref(), status);
            (class, code, e.message().map(str::to_string).unwrap_or_else(|| e.to_string()))
        }
        SdkError::TimeoutError(_) => (ErrorClass::Transient, Some("Timeout".into()), "the request timed out".into()),
        SdkError::DispatchFailure(d) => {
            let msg = if d.is_io() || d.is_timeout() {
                "could not reach the endpoint (connection failed)".to_string()
            } else {
                format!("could not send the request: {:?}", d)
            };
            (ErrorClass::Transient, Some("DispatchFailure".into()), msg)
        }
        SdkError::ResponseError(r) => (
            ErrorClass::Transient,
            Some("ResponseError".into()),
            format!("unreadable response (HTTP {})", r.raw().status().as_u16()),
        ),
        SdkError::ConstructionFailure(_) => (
            ErrorClass::Invalid,
            Some("ConstructionFailure".into()),
            format!("the request could not be built: {}", aws_smithy_types::error::display::DisplayErrorContext(&err)),
        ),
        _ => (ErrorClass::Fatal, None, aws_smithy_types::error::display::DisplayErrorContext(&err).to_string()),
    };
    let mut class = class;
    // Missing credentials surface as construction or dispatch failures.
    let full = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
    if full.contains("no credentials") || full.contains("CredentialsNotLoaded") || full.contains("failed to load credentials") {
        class = ErrorClass::Auth;
    }
    ProviderError { class, operation: operation.to_string(), code, message, request_id }
}

/// Shorthand: `.map_err(err("CreateVpc"))`.
pub fn err<E>(operation: &'static str) -> impl FnOnce(SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| from_sdk(operation, e)
}

/// Every item of a paginated list call (`….into_paginator().items().send()`),
/// an SDK error named by `operation`.
pub async fn all_pages<T, E>(
    pages: aws_smithy_async::future::pagination_stream::PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
    operation: &'static str,
) -> Result<Vec<T>, ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    pages.collect::<Result<Vec<T>, _>>().await.map_err(err(operation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_by_code() {
        assert_eq!(classify_code(Some("RequestLimitExceeded"), None), ErrorClass::Throttled);
        assert_eq!(classify_code(Some("InvalidVpcID.NotFound"), None), ErrorClass::NotFound);
        assert_eq!(classify_code(Some("NoSuchHostedZone"), None), ErrorClass::NotFound);
        assert_eq!(classify_code(Some("QueueDoesNotExist"), Some(400)), ErrorClass::NotFound);
        assert_eq!(classify_code(Some("InvalidNatGatewayID.NotFound"), None), ErrorClass::NotFound);
        assert_eq!(classify_code(Some("DependencyViolation"), None), ErrorClass::DependencyViolation);
        assert_eq!(classify_code(Some("AuthFailure"), None), ErrorClass::Auth);
        assert_eq!(classify_code(Some("InvalidParameterValue"), Some(400)), ErrorClass::Invalid);
        assert_eq!(classify_code(None, Some(503)), ErrorClass::Transient);
        assert_eq!(classify_code(None, Some(429)), ErrorClass::Throttled);
    }

    fn service_error(code: Option<&str>, status: u16, body: &str) -> SdkError<aws_smithy_types::error::ErrorMetadata, HttpResponse> {
        let mut meta = aws_smithy_types::error::ErrorMetadata::builder().message("went wrong");
        if let Some(c) = code {
            meta = meta.code(c);
        }
        let raw = HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
            aws_smithy_types::body::SdkBody::from(body.to_string()),
        );
        SdkError::service_error(meta.build(), raw)
    }

    #[test]
    fn an_error_without_a_code_is_classified_by_its_http_status() {
        assert_eq!(from_sdk("GetThing", service_error(None, 503, "")).class, ErrorClass::Transient);
        assert_eq!(from_sdk("GetThing", service_error(None, 429, "")).class, ErrorClass::Throttled);
        assert_eq!(from_sdk("GetThing", service_error(None, 400, "")).class, ErrorClass::Invalid);
        // A known code still decides.
        assert_eq!(from_sdk("GetThing", service_error(Some("Throttling"), 400, "")).class, ErrorClass::Throttled);
    }

    #[test]
    fn an_unreadable_response_does_not_carry_its_body() {
        let raw = HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
            aws_smithy_types::body::SdkBody::from("<Secret>hunter2</Secret>"),
        );
        let err: SdkError<aws_smithy_types::error::ErrorMetadata, HttpResponse> =
            SdkError::response_error(std::io::Error::other("bad xml"), raw);
        let e = from_sdk("GetThing", err);
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("HTTP 200"), "{e}");
    }
}
