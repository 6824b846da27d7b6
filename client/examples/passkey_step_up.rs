//! Walks the Passkey Service step-up branch across two runs, as a web
//! server would across two requests: the first run asks which
//! authentication applies, picks the issuer's first OTP option, has the OTP
//! sent and stores the session; the second run (with the code the cardholder
//! received) validates it, registers the device and prints what the iframe
//! needs next.
//!
//! `cargo run -p payclient --example passkey_step_up` runs both halves in
//! one go against the local sandbox (`payclient-sandbox`), started
//! in-process. Against the vendor's test host instead: set the
//! `CYBERSOURCE_*` variables, `PASSKEY_TOKEN_ID` (a tokenized card) and
//! `PASSKEY_SECURE_TOKEN` (the iframe's `sessionContext.secureToken`), run
//! it, then run it again with `PASSKEY_OTP` set.

use std::path::PathBuf;

use payclient::Sensitive;
use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
use payclient::passkey::{
    AuthenticationRequest, BrowserDevice, IframeOutput, PasskeyClient, PasskeySession, PasskeyStep,
    Registrant, StepUpProof, amount_numeric, encoded_merchant,
};
use payclient_sandbox::{Sandbox, passkey as sandbox_tokens};
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderValue, USER_AGENT};
use secrecy::SecretString;

fn session_file() -> PathBuf {
    std::env::var_os("PASSKEY_SESSION_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("payclient-passkey-session.json"))
}

/// What a web server has at hand: the cardholder's request headers and IP,
/// and the iframe's `browserData` posted by the page.
fn authentication_request(
    secure_token: &str,
) -> Result<AuthenticationRequest, Box<dyn std::error::Error>> {
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml"),
    );
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
    );
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-US,en;q=0.8"));
    let iframe: IframeOutput = serde_json::from_value(serde_json::json!({
        "platformType": "WEB",
        "browserData": {"browserJavaEnabled": false, "browserJavascriptEnabled": true,
                        "browserColorDepth": 24, "browserScreenHeight": 1080,
                        "browserScreenWidth": 1920, "browserTimeZone": 0}
    }))?;
    Ok(AuthenticationRequest {
        secure_token: Sensitive::from(secure_token),
        authenticator_render_method: "IFRAME".to_owned(),
        amount: amount_numeric("25.00", "EUR")?,
        merchant: encoded_merchant("Example Shop", "https://shop.example")?,
        device: BrowserDevice::from_headers(&headers, "203.0.113.5".parse()?)
            .or(iframe.browser_device())
            .build()?,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("CYBERSOURCE_MERCHANT_ID").is_none() {
        return against_the_local_sandbox().await;
    }
    let (config, token_id, secure_token) = match (
        CybersourceConfig::from_env(),
        std::env::var("PASSKEY_TOKEN_ID"),
        std::env::var("PASSKEY_SECURE_TOKEN"),
    ) {
        (Ok(config), Ok(token), Ok(secure)) => (config, token, secure),
        (config, _, _) => {
            let why = config.err().map(|e| e.to_string()).unwrap_or_else(|| {
                "PASSKEY_TOKEN_ID or PASSKEY_SECURE_TOKEN is not set".to_owned()
            });
            eprintln!(
                "passkey_step_up: {why}; set the CYBERSOURCE_* variables, PASSKEY_TOKEN_ID and PASSKEY_SECURE_TOKEN to run against the test host."
            );
            return Ok(());
        }
    };
    let passkey = PasskeyClient::new(CybersourceClient::new(config));
    let request = authentication_request(&secure_token)?;
    match std::env::var("PASSKEY_OTP") {
        // First run: which authentication applies? Ask for an OTP.
        Err(_) => first_run(&passkey, &token_id, &request).await,
        // Second run: the cardholder typed the code.
        Ok(otp) => second_run(&passkey, &request, otp.trim()).await,
    }
}

/// Both runs in one process against the local sandbox, whose step-up card
/// and OTP are documented (`payclient_sandbox::passkey`).
async fn against_the_local_sandbox() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    println!("using the local sandbox at {}", sandbox.base_url());
    let c = sandbox.config();
    let config = CybersourceConfig::builder()
        .merchant_id(&c.merchant_id)
        .key_id(&c.key_id)
        .shared_secret(SecretString::from(c.shared_secret.clone()))
        .environment(Environment::Custom {
            base_url: sandbox.base_url().to_owned(),
            signing_host: c.signing_host.clone(),
        })
        .build()?;
    let passkey = PasskeyClient::new(CybersourceClient::new(config));
    let request = authentication_request("secure-token-from-the-iframe")?;
    first_run(&passkey, sandbox_tokens::STEP_UP_TOKEN_ID, &request).await?;
    second_run(&passkey, &request, sandbox_tokens::OTP).await?;
    sandbox.shutdown().await;
    Ok(())
}

async fn first_run(
    passkey: &PasskeyClient,
    token_id: &str,
    request: &AuthenticationRequest,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut session = passkey
        .authentication_options(token_id, None, request)
        .await?;
    println!("authentication-options: {:?}", step_name(session.step()));
    if !matches!(session.step(), PasskeyStep::StepUp { .. }) {
        println!("not a step-up; this example walks the step-up branch only");
        return Ok(());
    }
    for choice in session.step_up_choices() {
        println!(
            "  option {} {} ({})",
            choice.method(),
            choice.value.as_deref().unwrap_or("-"),
            if choice.is_out_of_band() {
                "out of band"
            } else {
                "OTP"
            }
        );
    }
    let Some(choice) = session
        .step_up_choices()
        .iter()
        .find(|c| !c.is_out_of_band())
        .cloned()
    else {
        println!("no OTP option: wait for the issuer, then call out_of_band_approved");
        return Ok(());
    };
    let limits = passkey.send_otp(&mut session, &choice.id).await?;
    println!(
        "one-time-passwords: sent by {}, limits {limits:?}",
        choice.method()
    );
    let file = session_file();
    std::fs::write(&file, serde_json::to_vec(&session)?)?;
    println!("session stored in {}", file.display());
    Ok(())
}

async fn second_run(
    passkey: &PasskeyClient,
    request: &AuthenticationRequest,
    otp: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let file = session_file();
    let mut session: PasskeySession = serde_json::from_slice(&std::fs::read(&file)?)?;
    let option = match session.step() {
        PasskeyStep::StepUp {
            otp_sent_for: Some(id),
            ..
        } => id.clone(),
        other => {
            return Err(format!("the stored session is at {other:?}, not awaiting an OTP").into());
        }
    };
    let step = passkey
        .validate(
            &mut session,
            &option,
            StepUpProof::Otp(Sensitive::from(otp)),
        )
        .await?;
    println!("validate: {}", step_name(&step));
    passkey
        .register(
            &mut session,
            request,
            &Registrant {
                language: "en_US".to_owned(),
                email: "cardholder@example.com".to_owned(),
                phone_number: None,
            },
        )
        .await?;
    println!(
        "authentication-registrations: hand this to the iframe: {}",
        serde_json::to_string(&session.iframe_input())?
    );
    std::fs::write(&file, serde_json::to_vec(&session)?)?;
    Ok(())
}

fn step_name(step: &PasskeyStep) -> &'static str {
    match step {
        PasskeyStep::Authenticate(_) => "AUTHENTICATE",
        PasskeyStep::StepUp { .. } => "STEP_UP_AUTHENTICATE",
        PasskeyStep::Register => "AUTHENTICATION_REGISTRATION",
        PasskeyStep::Registered(_) => "registered",
        PasskeyStep::Completed => "completed",
        _ => "unknown action",
    }
}
