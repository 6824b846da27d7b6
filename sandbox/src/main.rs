//! `payclient-sandbox`: runs the sandbox until SIGINT or SIGTERM and prints,
//! as shell exports, what a client needs to reach it.

use std::net::IpAddr;
use std::path::PathBuf;

const HELP: &str = "\
payclient-sandbox: a local stand-in for Cybersource (Flex, Passkey, Intelligent
Commerce) and Checkout.com Flow, for tests in any language.

USAGE:
    payclient-sandbox [--bind ADDR] [--port PORT] [--write-keys DIR]

OPTIONS:
    --bind ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 exposes it,
                       and its unauthenticated /__sandbox inspection, reset and
                       clock endpoints, to the network)
    --port PORT        port to listen on (default: any free port)
    --write-keys DIR   write the MLE certificate, the response MLE private key,
                       the merchant's P12 and its certificate into DIR and
                       export their paths
    -h, --help         print this and exit

It prints `export NAME=value` lines (source them, or copy what you need) and
serves until SIGINT or SIGTERM. Every value is a sandbox value, not a secret.

CREDENTIALS (environment, each optional; never the names it prints, so that
a shell holding real credentials cannot hand them to the sandbox):
    PAYCLIENT_SANDBOX_MERCHANT_ID, PAYCLIENT_SANDBOX_KEY_ID,
    PAYCLIENT_SANDBOX_SHARED_SECRET (base64), PAYCLIENT_SANDBOX_SIGNING_HOST,
    PAYCLIENT_SANDBOX_RESPONSE_MLE_KID, PAYCLIENT_SANDBOX_CHECKOUT_SECRET_KEY,
    PAYCLIENT_SANDBOX_CHECKOUT_PUBLIC_KEY, PAYCLIENT_SANDBOX_CHECKOUT_CLIENT_ID,
    PAYCLIENT_SANDBOX_CHECKOUT_CLIENT_SECRET
";

/// Each configurable credential: the variable that overrides it.
fn credential_overrides(
    config: &mut payclient_sandbox::SandboxConfig,
) -> [(&'static str, &mut String); 9] {
    [
        ("PAYCLIENT_SANDBOX_MERCHANT_ID", &mut config.merchant_id),
        ("PAYCLIENT_SANDBOX_KEY_ID", &mut config.key_id),
        ("PAYCLIENT_SANDBOX_SHARED_SECRET", &mut config.shared_secret),
        ("PAYCLIENT_SANDBOX_SIGNING_HOST", &mut config.signing_host),
        (
            "PAYCLIENT_SANDBOX_RESPONSE_MLE_KID",
            &mut config.response_mle_kid,
        ),
        (
            "PAYCLIENT_SANDBOX_CHECKOUT_SECRET_KEY",
            &mut config.checkout_secret_key,
        ),
        (
            "PAYCLIENT_SANDBOX_CHECKOUT_PUBLIC_KEY",
            &mut config.checkout_public_key,
        ),
        (
            "PAYCLIENT_SANDBOX_CHECKOUT_CLIENT_ID",
            &mut config.checkout_client_id,
        ),
        (
            "PAYCLIENT_SANDBOX_CHECKOUT_CLIENT_SECRET",
            &mut config.checkout_client_secret,
        ),
    ]
}

/// The configuration with every override `lookup` finds applied; an empty
/// or unreadable value is refused by name.
fn configured(
    options: &Options,
    lookup: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Result<payclient_sandbox::SandboxConfig, String> {
    let mut config = payclient_sandbox::SandboxConfig::default();
    config.port = options.port;
    config.bind = options.bind;
    for (name, field) in credential_overrides(&mut config) {
        match lookup(name) {
            Ok(value) if value.trim().is_empty() => return Err(format!("{name} is empty")),
            Ok(value) => *field = value,
            Err(std::env::VarError::NotPresent) => {}
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("{name} is not UTF-8"));
            }
        }
    }
    Ok(config)
}

/// `value` quoted for a POSIX shell: inside single quotes, each `'` closed,
/// escaped and reopened, so that sourcing the lines runs nothing.
fn shell_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

struct Options {
    bind: IpAddr,
    port: u16,
    write_keys: Option<PathBuf>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let defaults = payclient_sandbox::SandboxConfig::default();
    let mut options = Options {
        bind: defaults.bind,
        port: defaults.port,
        write_keys: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--bind" => {
                let v = value("--bind")?;
                options.bind = v.parse().map_err(|_| format!("not an IP address: {v}"))?;
            }
            "--port" => {
                let v = value("--port")?;
                options.port = v.parse().map_err(|_| format!("not a port: {v}"))?;
            }
            "--write-keys" => options.write_keys = Some(PathBuf::from(value("--write-keys")?)),
            // The older form: the port alone.
            other => match other.parse::<u16>() {
                Ok(port) => options.port = port,
                Err(_) => return Err(format!("unknown argument `{other}` (see --help)")),
            },
        }
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{HELP}");
            return Ok(());
        }
        Err(why) => {
            eprintln!("payclient-sandbox: {why}");
            std::process::exit(2);
        }
    };
    let config = match configured(&options, |name| std::env::var(name)) {
        Ok(config) => config,
        Err(why) => {
            eprintln!("payclient-sandbox: {why}");
            std::process::exit(2);
        }
    };
    let sandbox = payclient_sandbox::Sandbox::start_with(config).await?;
    let c = sandbox.config();
    let url = sandbox.base_url();
    println!("# payclient sandbox listening on {url}");
    for (name, value) in [
        ("CYBERSOURCE_ENVIRONMENT", url),
        ("CYBERSOURCE_SIGNING_HOST", c.signing_host.as_str()),
        ("CYBERSOURCE_MERCHANT_ID", c.merchant_id.as_str()),
        ("CYBERSOURCE_KEY_ID", c.key_id.as_str()),
        ("CYBERSOURCE_SHARED_SECRET", c.shared_secret.as_str()),
        ("CYBERSOURCE_RESPONSE_MLE_KID", c.response_mle_kid.as_str()),
        ("CHECKOUT_ENVIRONMENT", url),
        ("CHECKOUT_SECRET_KEY", c.checkout_secret_key.as_str()),
        ("CHECKOUT_PUBLIC_KEY", c.checkout_public_key.as_str()),
        ("CHECKOUT_CLIENT_ID", c.checkout_client_id.as_str()),
        ("CHECKOUT_CLIENT_SECRET", c.checkout_client_secret.as_str()),
        ("CHECKOUT_TOKEN_URL", &format!("{url}/connect/token")),
        (
            "SANDBOX_INSPECTION_URL",
            &format!("{url}{}", payclient_sandbox::INSPECTION_PREFIX),
        ),
        (
            "CYBERSOURCE_P12_PASSWORD",
            payclient_sandbox::MERCHANT_P12_PASSWORD,
        ),
        (
            "CYBERSOURCE_P12_ALIAS",
            payclient_sandbox::MERCHANT_P12_ALIAS,
        ),
    ] {
        println!("export {name}={}", shell_quoted(value));
    }
    if let Some(dir) = &options.write_keys {
        std::fs::create_dir_all(dir)?;
        let merchant_certificate = sandbox.merchant_certificate_pem();
        let files = [
            (
                "CYBERSOURCE_MLE_CERTIFICATE_PATH",
                "mle-certificate.pem",
                sandbox.mle_certificate_pem().as_bytes(),
            ),
            (
                "CYBERSOURCE_RESPONSE_MLE_KEY_PATH",
                "response-mle-key.pem",
                sandbox.response_mle_private_key_pem().as_bytes(),
            ),
            // The SDKs find a P12 as a directory and a file name without
            // `.p12` (`keys_directory`/`key_file_name`, `keysDirectory`/`keyFileName`).
            (
                "CYBERSOURCE_P12_PATH",
                "payclient_sandbox.p12",
                sandbox.merchant_p12(),
            ),
            (
                "CYBERSOURCE_CERTIFICATE_PATH",
                "merchant-certificate.pem",
                merchant_certificate.as_bytes(),
            ),
        ];
        for (name, file, contents) in files {
            let path = dir.join(file);
            std::fs::write(&path, contents)?;
            println!("export {name}={}", shell_quoted(&path.to_string_lossy()));
        }
    }
    println!("# sandbox values, not secrets; SIGINT or SIGTERM stops it");
    shutdown_signal().await?;
    sandbox.shutdown().await;
    Ok(())
}

/// SIGINT (Ctrl-C), or SIGTERM where there is one.
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Options>, String> {
        parse(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn the_command_line_is_read_and_refused_by_name() {
        let o = args(&["--bind", "0.0.0.0", "--port", "8080"])
            .expect("ok")
            .expect("options");
        assert_eq!((o.bind.to_string(), o.port), ("0.0.0.0".to_owned(), 8080));
        let o = args(&["9090"]).expect("ok").expect("options");
        assert_eq!((o.bind.to_string(), o.port), ("127.0.0.1".to_owned(), 9090));
        assert!(args(&["--help"]).expect("ok").is_none());
        assert_eq!(
            args(&["--port"]).err().as_deref(),
            Some("--port needs a value")
        );
        assert_eq!(
            args(&["--bind", "x"]).err().as_deref(),
            Some("not an IP address: x")
        );
        assert!(args(&["--nope"]).is_err());
    }

    #[test]
    fn credentials_come_from_the_sandbox_variables_only() {
        let options = args(&[]).expect("ok").expect("options");
        let config = configured(&options, |name| match name {
            "PAYCLIENT_SANDBOX_MERCHANT_ID" => Ok("m2".to_owned()),
            "PAYCLIENT_SANDBOX_CHECKOUT_CLIENT_SECRET" => Ok("s2".to_owned()),
            // The names it prints are never read.
            "CYBERSOURCE_KEY_ID" => Ok("real".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        })
        .expect("configured");
        let defaults = payclient_sandbox::SandboxConfig::default();
        assert_eq!(config.merchant_id, "m2");
        assert_eq!(config.checkout_client_secret, "s2");
        assert_eq!(config.key_id, defaults.key_id);
        assert_eq!(config.checkout_secret_key, defaults.checkout_secret_key);
    }

    #[test]
    fn empty_values_are_refused_and_printed_values_cannot_break_out_of_quotes() {
        let options = args(&[]).expect("ok").expect("options");
        let refused = configured(&options, |name| match name {
            "PAYCLIENT_SANDBOX_KEY_ID" => Ok(" ".to_owned()),
            _ => Err(std::env::VarError::NotPresent),
        });
        assert_eq!(
            refused.err().as_deref(),
            Some("PAYCLIENT_SANDBOX_KEY_ID is empty")
        );
        assert_eq!(shell_quoted("plain"), "'plain'");
        assert_eq!(shell_quoted("a'b; rm -rf x"), r"'a'\''b; rm -rf x'");
        // What a shell reads back is the value itself.
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quoted("it's $HOME `id`")))
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "it's $HOME `id`");
    }
}
