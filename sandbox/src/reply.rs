//! Answers in the vendors' shapes.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

/// One answer: status, media type, body, and extra headers.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    content_type: Option<&'static str>,
    pub(crate) body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    pub(crate) fn json(status: u16, value: Value) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: value.to_string().into_bytes(),
            headers: Vec::new(),
        }
    }

    /// A JSON answer as Intelligent Commerce frames it
    /// (`application/hal+json;charset=utf-8`, npm `cybersource-rest-client`
    /// 0.0.83 `AgentCapabilitiesApi`).
    pub(crate) fn hal_json(status: u16, value: Value) -> Self {
        Self {
            content_type: Some("application/hal+json;charset=utf-8"),
            ..Self::json(status, value)
        }
    }

    pub(crate) fn jwt(status: u16, jwt: String) -> Self {
        Self {
            status,
            content_type: Some("application/jwt"),
            body: jwt.into_bytes(),
            headers: Vec::new(),
        }
    }

    /// An empty body (Checkout's 401).
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// This answer sealed for a merchant who asked for response MLE:
    /// `{"encryptedResponse": "<JWE of the body>"}`, same status and headers.
    pub(crate) fn sealed(self, key: &crate::crypto::DecryptionKey, now: i64) -> Self {
        match key.seal(&self.body, now) {
            Ok(jwe) => Self {
                content_type: Some("application/json"),
                body: json!({ "encryptedResponse": jwe }).to_string().into_bytes(),
                ..self
            },
            Err(_) => server_error(),
        }
    }

    /// A success answer as `application/jose`: the body as a compact JWE
    /// sealed to the merchant's key (TMS payment credentials asked for with
    /// `Accept: application/jose`). Error answers stay JSON.
    pub(crate) fn into_jose(self, key: &crate::crypto::DecryptionKey, now: i64) -> Self {
        if !(200..300).contains(&self.status) {
            return self;
        }
        match key.seal(&self.body, now) {
            Ok(jwe) => Self {
                content_type: Some("application/jose;charset=utf-8"),
                body: jwe.into_bytes(),
                ..self
            },
            Err(_) => server_error(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn into_response(self) -> Response<Body> {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(media) = self.content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// The gateway's authentication failure.
pub(crate) fn authentication_failed() -> Reply {
    Reply::json(401, json!({"response": {"rmsg": "Authentication Failed"}}))
}

/// A payments- or Flex-style Cybersource error.
pub(crate) fn cybersource_error(
    status: u16,
    kind: &str,
    reason: &str,
    message: &str,
    field: Option<&str>,
) -> Reply {
    let mut body = json!({
        "submitTimeUtc": now_utc(),
        "status": kind,
        "reason": reason,
        "message": message,
    });
    if let Some(field) = field {
        body["details"] = json!([{"field": field, "reason": reason}]);
    }
    Reply::json(status, body)
}

/// A TMS-style error (`{errors[]}`), as the Passkey Service answers.
pub(crate) fn tms_error(status: u16, kind: &str, message: &str, fields: &[&str]) -> Reply {
    let details: Vec<Value> = fields
        .iter()
        .map(|name| json!({"name": name, "location": "body"}))
        .collect();
    Reply::json(
        status,
        json!({"errors": [{"type": kind, "message": message, "details": details}]}),
    )
}

/// An Intelligent Commerce error (`{error{…}}`).
pub(crate) fn agentic_error(status: u16, reason: &str, message: &str, source: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {
            "status": "INVALID_REQUEST",
            "reason": reason,
            "message": message,
            "detail": {"reason": reason, "source": source, "sourceType": "BODY", "message": message}
        }}),
    )
}

/// A 500 in the payments style.
pub(crate) fn server_error() -> Reply {
    cybersource_error(
        500,
        "SERVER_ERROR",
        "SYSTEM_ERROR",
        "Error - General system failure.",
        None,
    )
}

fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
