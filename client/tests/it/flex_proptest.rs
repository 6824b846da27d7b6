//! Random bytes and random mutations of a valid token fed to the validator:
//! it never panics and never accepts a mutated token.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::*;
use payclient::cybersource::Authentication;
use payclient::flex::{FlexClient, FlexOptions};
use proptest::prelude::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    flex: FlexClient,
    valid: String,
    _server: MockServer,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let signer = JwtSigner::new("k1");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let valid = signer.sign(
            &serde_json::json!({"iss": "Flex/00", "exp": now + 3600, "iat": now, "jti": "j"}),
        );
        let (server, flex) = runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/flex/v2/public-keys/k1"))
                .respond_with(ResponseTemplate::new(200).set_body_json(signer.jwk()))
                .mount(&server)
                .await;
            let flex = FlexClient::with_options(
                client(&server.uri(), Authentication::HttpSignature),
                FlexOptions::default(),
            );
            flex.validate_transient_token(&valid)
                .await
                .expect("the unmutated token is valid");
            (server, flex)
        });
        Fixture {
            runtime,
            flex,
            valid,
            _server: server,
        }
    })
}

fn accepted(token: &str) -> bool {
    let f = fixture();
    f.runtime
        .block_on(f.flex.validate_transient_token(token))
        .is_ok()
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(!accepted(&String::from_utf8_lossy(&bytes)));
    }

    #[test]
    fn a_replaced_character_is_refused(index in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>()) {
        let valid = &fixture().valid;
        let at = index.index(valid.len());
        let replacement = ALPHABET[pick.index(ALPHABET.len())];
        prop_assume!(valid.as_bytes()[at] != replacement);
        let mut mutated = valid.clone().into_bytes();
        mutated[at] = replacement;
        prop_assert!(!accepted(&String::from_utf8(mutated).expect("ascii")));
    }

    #[test]
    fn an_inserted_or_deleted_character_is_refused(index in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>(), delete in any::<bool>()) {
        let valid = &fixture().valid;
        let at = index.index(valid.len());
        let mut mutated = valid.clone();
        if delete {
            mutated.remove(at);
        } else {
            mutated.insert(at, ALPHABET[pick.index(ALPHABET.len())] as char);
        }
        prop_assert!(!accepted(&mutated));
    }

    #[test]
    fn swapped_segments_are_refused(order in Just(()).prop_perturb(|_, mut rng| { let mut o = [0usize, 1, 2]; for i in (1..3).rev() { let j = rng.random_range(0..=i); o.swap(i, j); } o })) {
        prop_assume!(order != [0, 1, 2]);
        let parts: Vec<&str> = fixture().valid.split('.').collect();
        let shuffled = order.iter().map(|i| parts[*i]).collect::<Vec<_>>().join(".");
        prop_assert!(!accepted(&shuffled));
    }
}
