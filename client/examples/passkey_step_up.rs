//! Walks the Passkey Service step-up branch across two runs, as a web
//! server would across two requests: the first run asks which
//! authentication applies, picks the issuer's first OTP option, has the OTP
//! sent and stores the session; the second run (with the code the cardholder
//! received) validates it, registers the device and prints what the iframe
//! needs next.
//!
//! Against the vendor's test host: set the `CYBERSOURCE_*` variables,
//! `PASSKEY_TOKEN_ID` (a tokenized card) and `PASSKEY_SECURE_TOKEN` (the
//! iframe's `sessionContext.secureToken`), run
//! `cargo run -p payclient --example passkey_step_up`, then run it again with
//! `PASSKEY_OTP` set. Without them it explains what to set (a local sandbox
//! comes with a later change).

use std::path::PathBuf;

use payclient::Sensitive;
use payclient::cybersource::{CybersourceClient, CybersourceConfig};
use payclient::passkey::{
    AuthenticationRequest, BrowserDevice, IframeOutput, PasskeyClient, PasskeySession, PasskeyStep,
    Registrant, StepUpProof, amount_numeric, encoded_merchant,
};
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, HeaderMap, HeaderValue, USER_AGENT};

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
    let file = session_file();

    let Ok(otp) = std::env::var("PASSKEY_OTP") else {
        // First run: which authentication applies?
        let mut session = passkey
            .authentication_options(&token_id, None, &request)
            .await?;
        println!("authentication-options: {:?}", step_name(session.step()));
        if !matches!(session.step(), PasskeyStep::StepUp { .. }) {
            println!("not a step-up; this example walks the step-up branch only");
            return Ok(());
        }
        for choice in session.step_up_choices() {
            println!(
                "  option {:?} {} ({})",
                choice.method,
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
            .into_iter()
            .find(|c| !c.is_out_of_band())
        else {
            println!("no OTP option: wait for the issuer, then call out_of_band_approved");
            return Ok(());
        };
        let limits = passkey.send_otp(&mut session, &choice.id).await?;
        println!(
            "one-time-passwords: sent by {:?}, limits {limits:?}",
            choice.method
        );
        std::fs::write(&file, serde_json::to_vec(&session)?)?;
        println!(
            "session stored in {}; run again with PASSKEY_OTP=<code>",
            file.display()
        );
        return Ok(());
    };

    // Second run: the cardholder typed the code.
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
            StepUpProof::Otp(Sensitive::from(otp.trim())),
        )
        .await?;
    println!("validate: {}", step_name(&step));
    passkey
        .register(
            &mut session,
            &request,
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
