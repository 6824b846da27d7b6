//! `payclient-sandbox [PORT]`: runs the sandbox until Ctrl-C and prints
//! what a client needs to reach it.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = match std::env::args().nth(1) {
        Some(p) => p.parse::<u16>().map_err(|_| format!("not a port: {p}"))?,
        None => 0,
    };
    let config = payclient_sandbox::SandboxConfig {
        port,
        ..Default::default()
    };
    let sandbox = payclient_sandbox::Sandbox::start_with(config).await?;
    let c = sandbox.config();
    println!("payclient sandbox listening on {}", sandbox.base_url());
    println!("  CYBERSOURCE_ENVIRONMENT={}", sandbox.base_url());
    println!("  CYBERSOURCE_SIGNING_HOST={}", c.signing_host);
    println!("  CYBERSOURCE_MERCHANT_ID={}", c.merchant_id);
    println!("  CYBERSOURCE_KEY_ID={}", c.key_id);
    println!("  CYBERSOURCE_SHARED_SECRET={}", c.shared_secret);
    println!("  CHECKOUT_ENVIRONMENT={}", sandbox.base_url());
    println!("  CHECKOUT_SECRET_KEY={}", c.checkout_secret_key);
    println!("(sandbox values, not secrets; Ctrl-C stops it)");
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
