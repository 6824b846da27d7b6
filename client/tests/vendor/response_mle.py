"""Response MLE on the vendor's side, for client/tests/it/response_mle.rs.

    open KEY_PEM BODY_FILE
        Opens a sealed answer the way the vendor's Python SDK
        (cybersource-rest-client-python 0.0.80) does: its own
        MLEUtility.decrypt_mle_response_payload, which checks the
        {"encryptedResponse": ...} wrapper and opens the JWE with jwcrypto.
        Prints the plaintext.

    seal KEY_PEM KID PLAINTEXT_FILE
        Seals PLAINTEXT_FILE to the public half of KEY_PEM with jwcrypto, the
        JOSE library the SDK opens answers with (the gateway's own sealing
        code is not public): RSA-OAEP-256 and A256GCM, the algorithms of the
        SDK's request MLE. Prints {"encryptedResponse": "<JWE>"}.

Exits non-zero, with the reason on stderr, when anything fails.
"""

import json
import sys
import types

# The SDK's modules import each other in a cycle that resolves only when the
# package is imported first.
import CyberSource  # noqa: F401
from authenticationsdk.util.MLEUtility import MLEUtility
from jwcrypto import jwe, jwk


def read(path):
    with open(path, "rb") as f:
        return f.read()


def open_answer(key_pem, body_file):
    key = jwk.JWK.from_pem(read(key_pem))
    # The SDK reads the key from its merchant configuration's
    # `responseMlePrivateKey` when one is given.
    config = types.SimpleNamespace(responseMlePrivateKey=key)
    body = read(body_file).decode("utf-8")
    if not MLEUtility.check_is_mle_encrypted_response(body):
        raise SystemExit("the SDK does not see an encrypted answer")
    sys.stdout.write(MLEUtility.decrypt_mle_response_payload(config, body))


def seal(key_pem, kid, plaintext_file):
    key = jwk.JWK.from_pem(read(key_pem))
    public = jwk.JWK()
    public.import_key(**key.export_public(as_dict=True))
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": kid}
    token = jwe.JWE(plaintext=read(plaintext_file), protected=json.dumps(header))
    token.add_recipient(public)
    sys.stdout.write(json.dumps({"encryptedResponse": token.serialize(compact=True)}))


def main(argv):
    if len(argv) == 3 and argv[0] == "open":
        open_answer(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "seal":
        seal(argv[1], argv[2], argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
