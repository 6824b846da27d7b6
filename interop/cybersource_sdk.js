#!/usr/bin/env node
// Cybersource's own Node SDK (npm cybersource-rest-client 0.0.83),
// unmodified, against payclient-sandbox: only the base URL
// (`intermediateHost`) and the credentials differ from a merchant's setup.
//
// Reads the variables `payclient-sandbox --write-keys DIR` prints
// (CYBERSOURCE_*, SANDBOX_INSPECTION_URL), prints `ok - <what>` per check
// and exits 1 at the first failure. CommonJS, Node 20, no package but the
// SDK (node-forge and axios are the SDK's own dependencies).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

const cybersource = require('cybersource-rest-client');

// The SDK's own copies, so the interceptor below sits on the axios the SDK
// sends with.
const sdkDir = path.dirname(require.resolve('cybersource-rest-client'));
const fromSdk = (name) => require(require.resolve(name, { paths: [sdkDir] }));
const axios = fromSdk('axios');
const forge = fromSdk('node-forge');

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
// The tokenized card whose payment credentials carry ECI 07 outside a
// passkey flow (GET /__sandbox/triggers).
const TOKEN_ID = '7010000000016241111';
const CALL_TIMEOUT_MS = 10000;

class Failure extends Error {}

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Failure(
      `${name} is not set: start payclient-sandbox with --write-keys DIR and source the \`export\` lines it prints`,
    );
  }
  return value;
}

// Fails the check `what` unless `condition` holds; `detail` says what was seen.
function expect(what, condition, detail) {
  if (!condition) throw new Failure(`${what}: ${detail}`);
}

function ok(what) {
  console.log(`ok - ${what}`);
}

const show = (value) => JSON.stringify(value);

// Everything this script reads, checked before the SDK is touched.
const VARIABLES = [
  'CYBERSOURCE_ENVIRONMENT',
  'CYBERSOURCE_SIGNING_HOST',
  'CYBERSOURCE_MERCHANT_ID',
  'CYBERSOURCE_KEY_ID',
  'CYBERSOURCE_SHARED_SECRET',
  'CYBERSOURCE_RESPONSE_MLE_KID',
  'CYBERSOURCE_MLE_CERTIFICATE_PATH',
  'CYBERSOURCE_RESPONSE_MLE_KEY_PATH',
  'CYBERSOURCE_P12_PATH',
  'CYBERSOURCE_P12_PASSWORD',
  'CYBERSOURCE_P12_ALIAS',
  'SANDBOX_INSPECTION_URL',
];
const missing = VARIABLES.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(
    `FAIL: ${missing.join(', ')} not set: start payclient-sandbox with --write-keys DIR and source the \`export\` lines it prints`,
  );
  process.exit(1);
}

const SANDBOX = env('CYBERSOURCE_ENVIRONMENT').replace(/\/+$/, '');
const SIGNING_HOST = env('CYBERSOURCE_SIGNING_HOST');
const INSPECTION = env('SANDBOX_INSPECTION_URL').replace(/\/+$/, '');
// Both on loopback: the merchant credentials read here could be real.
for (const [name, value] of [['CYBERSOURCE_ENVIRONMENT', SANDBOX], ['SANDBOX_INSPECTION_URL', INSPECTION]]) {
  if (!LOOPBACK.has(new URL(value).hostname)) {
    console.error(`FAIL: ${name}=${value} is not on loopback`);
    process.exit(1);
  }
}
const MERCHANT_ID = env('CYBERSOURCE_MERCHANT_ID');
const KEY_ID = env('CYBERSOURCE_KEY_ID');

// What the SDK sent, and every key fetch routed to the sandbox.
const sent = [];
const keyFetches = [];
const leaks = [];

function header(config, name) {
  const h = config.headers || {};
  if (typeof h.get === 'function') return h.get(name) || undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : h[key];
}

// `CaptureContextParsingUtility` fetches its verification key from a fixed
// https://{runEnvironment}/flex/v2/public-keys/{kid} and ignores the
// intermediate host; this test-level interceptor on the SDK's axios sends
// that one request to the same path on the sandbox. It also records what
// the SDK sends and refuses anything else that would leave loopback.
axios.interceptors.request.use((config) => {
  const absolute = /^https?:\/\//i.test(config.url || '');
  const full = absolute ? config.url : `${(config.baseURL || '').replace(/\/+$/, '')}${config.url}`;
  const url = new URL(full);
  if (url.protocol === 'https:' && url.host === SIGNING_HOST && /^\/flex\/v2\/public-keys\/[^/]+$/.test(url.pathname)) {
    config.baseURL = undefined;
    config.url = `${SANDBOX}${url.pathname}`;
    keyFetches.push(url.pathname);
    return config;
  }
  if (!LOOPBACK.has(url.hostname)) {
    leaks.push(`${config.method} ${full}`);
    throw new Failure(`the SDK tried to leave loopback: ${config.method} ${full}`);
  }
  sent.push({
    method: String(config.method).toUpperCase(),
    path: url.pathname,
    accept: header(config, 'Accept'),
    authorization: header(config, 'Authorization'),
    signature: header(config, 'signature'),
    merchantHeader: header(config, 'v-c-merchant-id'),
    data: config.data,
  });
  return config;
});

function lastSent(method, pathname) {
  const found = sent.filter((r) => r.method === method && r.path === pathname).pop();
  expect('request record', found, `the SDK sent no ${method} ${pathname}`);
  return found;
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The header and claims of the bearer JWT the SDK sent.
function bearer(record) {
  const match = /^Bearer (.+)$/.exec(record.authorization || '');
  expect('JWT auth', match, `no Bearer token on ${record.method} ${record.path}`);
  const [h, p] = match[1].split('.');
  return { header: b64urlJson(h), claims: b64urlJson(p) };
}

// ---- the sandbox's inspection endpoints (loopback, no credentials) ----

async function inspect(method, what) {
  const response = await fetch(`${INSPECTION}/${what}`, { method });
  if (!response.ok) throw new Failure(`${method} ${INSPECTION}/${what}: HTTP ${response.status}`);
  return response.json();
}

async function instructionState(id) {
  const state = await inspect('GET', 'state');
  const found = state.intelligentCommerce.instructions.find((i) => i.instructionId === id);
  expect('sandbox state', found, `the sandbox holds no instruction ${id}`);
  return found;
}

// ---- calling the SDK ----

function describeError(err) {
  if (!err) return String(err);
  if (err.response && err.response.text !== undefined) return `HTTP ${err.status}: ${err.response.text}`;
  return err.stack || err.message || show(err);
}

// Runs one SDK operation (callback style) and resolves with
// { error, data, response }. An operation that encrypts its body calls back
// from a promise the SDK does not return, so a stuck call times out here.
function sdk(what, start) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Failure(`${what}: the SDK did not call back within ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
    try {
      start((error, data, response) => {
        clearTimeout(timer);
        resolve({ error, data, response });
      });
    } catch (err) {
      clearTimeout(timer);
      reject(new Failure(`${what}: the SDK threw ${describeError(err)}`));
    }
  });
}

async function succeeds(what, start) {
  const result = await sdk(what, start);
  if (result.error) {
    const failures = await inspect('GET', 'auth-failures').catch(() => ({}));
    throw new Failure(
      `${what}: ${describeError(result.error)}; sandbox auth failures: ${show(failures.authFailures)}`,
    );
  }
  return result;
}

// ---- merchant configurations ----

function config(extra) {
  return {
    runEnvironment: SIGNING_HOST,
    intermediateHost: SANDBOX,
    merchantID: MERCHANT_ID,
    logConfiguration: { enableLog: false },
    ...extra,
  };
}

const httpSignature = () =>
  config({
    authenticationType: 'http_signature',
    merchantKeyId: KEY_ID,
    merchantsecretKey: env('CYBERSOURCE_SHARED_SECRET'),
  });

const sharedSecretJwt = (extra) =>
  config({
    authenticationType: 'jwt',
    jwtKeyType: 'SHARED_SECRET',
    merchantKeyId: KEY_ID,
    merchantsecretKey: env('CYBERSOURCE_SHARED_SECRET'),
    // Request MLE under a shared-secret JWT needs the certificate as a file.
    mleForRequestPublicCertPath: env('CYBERSOURCE_MLE_CERTIFICATE_PATH'),
    ...extra,
  });

const responseMle = () => ({
  enableResponseMleGlobally: true,
  responseMlePrivateKeyFilePath: env('CYBERSOURCE_RESPONSE_MLE_KEY_PATH'),
  responseMleKID: env('CYBERSOURCE_RESPONSE_MLE_KID'),
});

function subjectValue(cert, name) {
  const attribute = cert.subject.attributes.find((a) => a.name === name || a.shortName === name);
  return attribute && attribute.value;
}

// npm 0.0.83 picks the merchant certificate out of the P12 by a bag
// friendly name that contains `CN=<keyAlias>`, the way the vendor's P12s
// name it (`serialNumber=<serial>,CN=<merchant>`); the sandbox's P12 does
// too. The SDK wants a directory and a file name without `.p12`.
function p12Location() {
  const file = env('CYBERSOURCE_P12_PATH');
  return { keysDirectory: path.dirname(file), keyFileName: path.basename(file, '.p12') };
}

function certificateJwt(p12) {
  return config({
    authenticationType: 'jwt',
    jwtKeyType: 'P12',
    keysDirectory: p12.keysDirectory,
    keyFileName: p12.keyFileName,
    keyAlias: env('CYBERSOURCE_P12_ALIAS'),
    keyPass: env('CYBERSOURCE_P12_PASSWORD'),
  });
}

// One ApiClient per API object: the SDK's shared default instance takes the
// configuration of whichever API was built last.
const api = (Api, merchantConfig) => new Api(merchantConfig, new cybersource.ApiClient());

// ---- Flex ----

const CAPTURE_FIELDS = {
  paymentInformation: {
    card: {
      number: {},
      securityCode: { required: false },
      expirationMonth: {},
      expirationYear: {},
    },
  },
};

async function captureContext(what, merchantConfig) {
  const flex = api(cybersource.FlexAPIApi, merchantConfig);
  const request = cybersource.GenerateFlexAPICaptureContextRequest.constructFromObject({
    fields: CAPTURE_FIELDS,
  });
  const { data, response } = await succeeds(what, (cb) => flex.generateFlexAPICaptureContext(request, cb));
  expect(what, response.status === 201, `HTTP ${response.status}`);
  expect(what, typeof data === 'string' && data.split('.').length === 3, `not a JWT: ${show(data)}`);
  const jwt = { header: b64urlJson(data.split('.')[0]), claims: b64urlJson(data.split('.')[1]) };
  expect(what, jwt.header.alg === 'RS256' && jwt.header.kid, `JWT header ${show(jwt.header)}`);
  const fields = jwt.claims.ctx && jwt.claims.ctx[0] && jwt.claims.ctx[0].data;
  expect(
    what,
    fields && fields.requiredFields.includes('paymentInformation.card.number') &&
      fields.optionalFields.includes('paymentInformation.card.securityCode'),
    `capture context fields ${show(fields)}`,
  );
  return { jwt: data, record: lastSent('POST', '/flex/v2/sessions') };
}

async function verifyCaptureContext(jwt, merchantConfig) {
  return new Promise((resolve) => {
    cybersource.CaptureContextParsingUtility.parseCaptureContextResponse(jwt, merchantConfig, (error, payload) =>
      resolve({ error, payload }),
    );
  });
}

// ---- payment credentials ----

// The SDK asks axios for a string here (returnType 'String'), so it hands
// back the raw body and never opens it, with or without response MLE; the
// vendor's samples open it with the SDK's own JWEUtility.
function decrypt(privateKeyPem, jwe) {
  return cybersource.JWEUtility.decryptJWEResponseUsingPrivateKey(privateKeyPem, jwe);
}

function isCompactJwe(text) {
  return typeof text === 'string' && /^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/.test(text);
}

async function paymentCredentials(what, merchantConfig) {
  const tokens = api(cybersource.NetworkTokensApi, merchantConfig);
  const request = cybersource.PostPaymentCredentialsRequest1.constructFromObject({});
  const { data, response } = await succeeds(what, (cb) =>
    tokens.postTokenPaymentCredentials(TOKEN_ID, request, {}, cb),
  );
  expect(what, response.status === 200, `HTTP ${response.status}`);
  const record = lastSent('POST', `/tms/v2/tokens/${TOKEN_ID}/payment-credentials`);
  expect(what, /application\/jose/.test(record.accept), `Accept ${show(record.accept)}`);
  return { data, response, record };
}

function checkCredentials(what, credentials) {
  const card = credentials.tokenizedCard || {};
  expect(what, card.eci === '07', `tokenizedCard.eci ${show(card.eci)} (want "07")`);
  expect(what, card.state === 'ACTIVE' && /^\d{13,19}$/.test(card.number || ''), `tokenizedCard ${show(card)}`);
  expect(what, typeof card.cryptogram === 'string' && card.cryptogram.length > 0, 'no cryptogram');
}

// ---- Intelligent Commerce ----

const epoch = (date) => String(Math.floor(date.getTime() / 1000));
const correlationId = () => crypto.randomUUID();

function device() {
  return {
    applicationName: 'Shopping Agent',
    fingerprintSessionId: crypto.randomUUID(),
    ipAddress: '192.0.2.10',
    country: 'US',
    deviceData: { type: 'Mobile', brand: 'Apple', manufacturer: 'Apple' },
  };
}

function assurance() {
  return [
    {
      verificationType: 'DEVICE',
      verificationEntity: '10',
      verificationEvents: ['01'],
      verificationMethod: '02',
      verificationResults: '01',
      verificationTimestamp: epoch(new Date()),
    },
  ];
}

function enrollment(instrument) {
  return cybersource.AgenticCardEnrollmentRequest.constructFromObject({
    clientCorrelationId: correlationId(),
    deviceInformation: device(),
    buyerInformation: { merchantCustomerId: 'customer-1', language: 'en' },
    billTo: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      countryCallingCode: '1',
      phoneNumber: '5551234567',
      country: 'US',
    },
    consumerIdentity: { identityType: 'EMAIL_ADDRESS', identityValue: 'ada@example.com' },
    paymentInformation: { instrumentIdentifier: { id: instrument } },
  });
}

// A purchase intent under one mandate: at most 50.00 USD a purchase, 2
// items, for a week.
function intent(instrument, mandateId) {
  return cybersource.AgenticCreatePurchaseIntentRequest.constructFromObject({
    clientCorrelationId: correlationId(),
    paymentInformation: { instrumentIdentifier: { id: instrument } },
    deviceInformation: device(),
    assuranceData: assurance(),
    mandates: [
      {
        mandateId,
        declineThreshold: { amount: '50.00', currencyCode: 'USD' },
        effectiveUntilTime: epoch(new Date(Date.now() + 7 * 86400 * 1000)),
        quantity: '2',
        description: 'Party supplies, at most 50.00 USD a purchase',
      },
    ],
    consumerPrompt: 'Buy balloons for Saturday',
  });
}

function credentialsRequest(instrument, mandateId, amount) {
  return cybersource.AgenticRetrievePaymentCredentialsRequest.constructFromObject({
    clientCorrelationId: correlationId(),
    paymentInformation: { instrumentIdentifier: { id: instrument } },
    transactionData: [
      {
        clientReferenceInformation: { code: `order-${crypto.randomUUID()}` },
        mandateReferenceData: [{ mandateId }],
        type: 'PURCHASE',
        orderInformation: {
          amountDetail: { totalAmount: amount, currency: 'USD' },
          lineItems: [{ items: { productName: 'Balloons', quantity: '1' } }],
        },
        merchantInformation: {
          merchantName: 'Balloon Shop',
          merchantDescriptor: { country: 'US', url: 'https://balloons.example' },
        },
      },
    ],
  });
}

function confirmation(instrument, amount) {
  return cybersource.AgenticConfirmTransactionEventsRequest.constructFromObject({
    clientCorrelationId: correlationId(),
    paymentInformation: { instrumentIdentifier: { id: instrument } },
    confirmationData: [
      {
        clientReferenceInformation: { code: 'order-confirmed' },
        orderInformation: { orderStatus: 'CONFIRMED', amountDetail: { totalAmount: amount, currency: 'USD' } },
        merchantInformation: { merchantName: 'Balloon Shop' },
        processorInformation: {
          transactionType: 'PURCHASE',
          transactionStatus: 'APPROVED',
          responseCode: '00',
          transactionTimestamp: epoch(new Date()),
          entryMode: 'ECOMMERCE',
        },
      },
    ],
  });
}

function cancellation() {
  return cybersource.AgenticCancelPurchaseIntentRequest.constructFromObject({
    clientCorrelationId: correlationId(),
    deviceInformation: device(),
    assuranceData: assurance(),
  });
}

// Every Intelligent Commerce body must go out as {"encryptedRequest": JWE}.
function sentEncrypted(what, record) {
  const body = typeof record.data === 'string' ? JSON.parse(record.data) : record.data;
  const keys = Object.keys(body || {});
  expect(what, keys.length === 1 && keys[0] === 'encryptedRequest', `body members ${show(keys)}`);
  const protectedHeader = b64urlJson(body.encryptedRequest.split('.')[0]);
  expect(
    what,
    protectedHeader.alg === 'RSA-OAEP-256' && protectedHeader.enc === 'A256GCM',
    `JWE header ${show(protectedHeader)}`,
  );
  return protectedHeader;
}

// ---- the checks ----

async function main() {
  // A known starting point: no earlier refusals, no earlier state.
  await inspect('POST', 'reset');
  const triggers = await inspect('GET', 'triggers');
  const certificateKid = triggers.cybersourceAuthentication.merchantCertificateKid;

  // (1) Flex capture contexts under the three authentications.
  const contexts = [];
  {
    const what = 'Flex capture context (FlexAPIApi.generateFlexAPICaptureContext) under HTTP Signature';
    const { jwt, record } = await captureContext(what, httpSignature());
    expect(what, record.merchantHeader === MERCHANT_ID, `v-c-merchant-id ${show(record.merchantHeader)}`);
    expect(
      what,
      String(record.signature).includes(`keyid="${KEY_ID}"`) &&
        record.signature.includes('headers="host date request-target digest v-c-merchant-id"'),
      `Signature ${show(record.signature)}`,
    );
    contexts.push(jwt);
    ok(what);
  }
  {
    const what = 'Flex capture context under a shared-secret JWT (HS256)';
    const { jwt, record } = await captureContext(what, sharedSecretJwt());
    const token = bearer(record);
    expect(what, token.header.alg === 'HS256' && token.header.kid === KEY_ID, `JWT header ${show(token.header)}`);
    expect(
      what,
      token.claims['v-c-merchant-id'] === MERCHANT_ID && token.claims['request-host'] === SIGNING_HOST &&
        token.claims['request-resource-path'] === '/flex/v2/sessions' && token.claims.digest,
      `JWT claims ${show(token.claims)}`,
    );
    contexts.push(jwt);
    ok(what);
  }
  const p12 = p12Location();
  {
    const what = `Flex capture context under a certificate JWT (RS256) from the merchant P12`;
    const { jwt, record } = await captureContext(what, certificateJwt(p12));
    const token = bearer(record);
    expect(
      what,
      token.header.alg === 'RS256' && token.header.kid === certificateKid,
      `JWT header ${show(token.header)} (want kid ${certificateKid})`,
    );
    expect(what, token.claims['v-c-merchant-id'] === MERCHANT_ID, `JWT claims ${show(token.claims)}`);
    contexts.push(jwt);
    ok(`${what}, kid ${certificateKid}`);
  }

  // (2) The SDK's own verification of what the sandbox signed.
  {
    const what = 'CaptureContextParsingUtility verifies the three capture contexts (key fetched from the sandbox)';
    const merchantConfig = new cybersource.MerchantConfig(httpSignature());
    for (const jwt of contexts) {
      const { error, payload } = await verifyCaptureContext(jwt, merchantConfig);
      expect(what, !error, describeError(error));
      expect(what, payload.flx && payload.flx.origin === SANDBOX, `flx.origin ${show(payload.flx && payload.flx.origin)}`);
      expect(what, payload.flx.jwk && payload.flx.jwk.kty === 'RSA', `flx.jwk ${show(payload.flx.jwk)}`);
    }
    const kid = b64urlJson(contexts[0].split('.')[0]).kid;
    expect(
      what,
      keyFetches.length >= 1 && keyFetches.every((p) => p === `/flex/v2/public-keys/${kid}`),
      `key fetches ${show(keyFetches)}`,
    );
    // The same capture context with another origin, under the original
    // signature: the SDK must refuse it.
    const [h, p, s] = contexts[0].split('.');
    const claims = b64urlJson(p);
    claims.flx.origin = 'https://attacker.example';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const refused = await verifyCaptureContext(forged, merchantConfig);
    expect(
      what,
      refused.error && refused.error.name === 'JwtSignatureValidationException',
      `an altered capture context was not refused: ${describeError(refused.error) || show(refused.payload)}`,
    );
    ok(`${what}; an altered one is refused`);
  }

  // (3) Payment credentials, without and with response MLE.
  const responseKey = fs.readFileSync(env('CYBERSOURCE_RESPONSE_MLE_KEY_PATH'), 'utf8');
  {
    const what = `payment credentials (NetworkTokensApi.postTokenPaymentCredentials, token ${TOKEN_ID}) without response MLE`;
    const { data, response, record } = await paymentCredentials(what, sharedSecretJwt());
    expect(what, bearer(record).claims['v-c-response-mle-kid'] === undefined, 'the JWT asked for response MLE');
    expect(what, /application\/jose/.test(response.header['content-type']), `Content-Type ${response.header['content-type']}`);
    expect(what, isCompactJwe(data), `the SDK did not return a compact JWE: ${String(data).slice(0, 80)}`);
    const credentials = JSON.parse(await decrypt(responseKey, data));
    checkCredentials(what, credentials);
    ok(`${what}: a JWE, opened with the SDK's JWEUtility, tokenizedCard.eci 07`);
  }
  {
    const what = 'payment credentials with response MLE';
    const before = (await inspect('GET', 'state')).sealedAnswers;
    const { data, record } = await paymentCredentials(what, sharedSecretJwt(responseMle()));
    const token = bearer(record);
    expect(
      what,
      token.claims['v-c-response-mle-kid'] === env('CYBERSOURCE_RESPONSE_MLE_KID'),
      `JWT v-c-response-mle-kid ${show(token.claims['v-c-response-mle-kid'])}`,
    );
    // SDK quirk: the answer is {"encryptedResponse": …}, but with
    // returnType 'String' the SDK gets it unparsed, and its response-MLE step
    // (MLEUtility.checkAndDecryptEncryptedResponse, parsed objects only)
    // passes it through as text: the caller opens it, as for the plain JWE.
    expect(what, typeof data === 'string', `the SDK returned ${typeof data}`);
    const envelope = JSON.parse(data);
    expect(what, Object.keys(envelope).join() === 'encryptedResponse', `answer members ${show(Object.keys(envelope))}`);
    // The sandbox seals the operation's own compact JWE (its answer to
    // Accept: application/jose) inside the envelope: two layers, each
    // counted in sealedAnswers.
    const inner = await decrypt(responseKey, envelope.encryptedResponse);
    expect(what, isCompactJwe(inner), 'the envelope does not hold the JOSE answer');
    const credentials = JSON.parse(await decrypt(responseKey, inner));
    checkCredentials(what, credentials);
    const after = (await inspect('GET', 'state')).sealedAnswers;
    expect(what, after === before + 2, `sealedAnswers ${before} -> ${after}, not two more`);
    ok(`${what}: {"encryptedResponse"} around the JWE, both opened with the SDK's JWEUtility, tokenizedCard.eci 07`);
  }

  // (4) Intelligent Commerce, every body MLE-encrypted by the SDK.
  const icc = api(cybersource.AgentCapabilitiesApi, sharedSecretJwt());
  const mleKid = (() => {
    const pem = fs.readFileSync(env('CYBERSOURCE_MLE_CERTIFICATE_PATH'), 'utf8');
    return subjectValue(forge.pki.certificateFromPem(pem), 'serialNumber');
  })();
  const instrument = crypto.randomUUID().replace(/-/g, '').toUpperCase();
  {
    const what = 'Intelligent Commerce enrollCard: PENDING (202), then ACTIVE (200), bodies MLE-encrypted';
    const first = await succeeds(what, (cb) => icc.enrollCard(enrollment(instrument), cb));
    const pending = JSON.parse(first.response.text);
    expect(what, first.response.status === 202 && first.data.status === 'PENDING', `first call ${first.response.status} ${first.response.text}`);
    expect(what, Array.isArray(pending.pendingEvents) && pending.pendingEvents.length > 0, `pendingEvents ${show(pending.pendingEvents)}`);
    const jweHeader = sentEncrypted(what, lastSent('POST', '/icc/v1/tokens'));
    expect(what, jweHeader.kid === mleKid, `JWE kid ${show(jweHeader.kid)} (want the certificate's ${mleKid})`);
    const second = await succeeds(what, (cb) => icc.enrollCard(enrollment(instrument), cb));
    expect(what, second.response.status === 200 && second.data.status === 'ACTIVE', `second call ${second.response.status} ${second.response.text}`);
    sentEncrypted(what, lastSent('POST', '/icc/v1/tokens'));
    ok(what);
  }
  const mandateId = crypto.randomUUID();
  let instructionId;
  {
    const what = 'Intelligent Commerce initiatePurchaseIntent with a mandate (50.00 USD, 2 items, 7 days)';
    const { data, response } = await succeeds(what, (cb) => icc.initiatePurchaseIntent(intent(instrument, mandateId), cb));
    expect(what, response.status === 200 && data.status === 'ACTIVE' && data.instructionId, `${response.status} ${response.text}`);
    instructionId = data.instructionId;
    sentEncrypted(what, lastSent('POST', '/icc/v1/instructions'));
    const state = await instructionState(instructionId);
    expect(what, state.status === 'Active', `sandbox status ${state.status}`);
    expect(
      what,
      state.mandates.length === 1 && state.mandates[0].mandateId === mandateId && state.mandates[0].quantity === 2,
      `sandbox mandates ${show(state.mandates)}`,
    );
    ok(`${what}: instruction ${instructionId} Active`);
  }
  {
    const what = 'Intelligent Commerce retrievePaymentCredentials for 19.99 USD under the mandate';
    const { response } = await succeeds(what, (cb) =>
      icc.retrievePaymentCredentials(instructionId, credentialsRequest(instrument, mandateId, '19.99'), cb),
    );
    // The SDK's model for this answer wraps its two shapes as members
    // (TransactionResponseComplete, …) that the wire never carries, so its
    // `data` is empty; the body is read with the complete shape's model.
    const answer = cybersource.AgenticRetrievePaymentCredentialsResponse200TransactionResponseComplete.constructFromObject(
      JSON.parse(response.text),
    );
    expect(what, response.status === 200 && answer.status === 'COMPLETED', `${response.status} ${response.text}`);
    expect(what, answer.instructionId === instructionId && answer.authorization, `answer ${response.text}`);
    sentEncrypted(what, lastSent('POST', `/icc/v1/instructions/${instructionId}/credentials`));
    const parts = String(answer.signedPayload).split('.');
    expect(what, parts.length === 3, `signedPayload ${show(answer.signedPayload)}`);
    const payloadHeader = b64urlJson(parts[0]);
    const claims = b64urlJson(parts[1]);
    const state = await instructionState(instructionId);
    expect(what, state.status === 'CredentialsRetrieved', `sandbox status ${state.status}`);
    expect(what, state.mandates[0].used === 1, `sandbox mandate use ${show(state.mandates[0])}`);
    expect(
      what,
      payloadHeader.alg === 'RS256' && claims.instructionId === instructionId &&
        claims.transactionId === state.transactions[0],
      `signedPayload ${show(payloadHeader)} ${show(claims)}`,
    );
    ok(`${what}: COMPLETED, signedPayload names transaction ${claims.transactionId}`);
  }
  {
    const what = 'Intelligent Commerce retrievePaymentCredentials for 75.00 USD is refused by the mandate';
    const { error } = await sdk(what, (cb) =>
      icc.retrievePaymentCredentials(instructionId, credentialsRequest(instrument, mandateId, '75.00'), cb),
    );
    const body = error && error.response && error.response.text ? JSON.parse(error.response.text) : {};
    expect(
      what,
      error && error.status === 400 && body.error && body.error.reason === 'DECLINE_THRESHOLD_EXCEEDED',
      `answer ${describeError(error)}`,
    );
    const state = await instructionState(instructionId);
    expect(what, state.mandates[0].used === 1 && state.transactions.length === 1, `sandbox state ${show(state)}`);
    ok(`${what} (400 DECLINE_THRESHOLD_EXCEEDED)`);
  }
  {
    const what = 'Intelligent Commerce confirmTransactionEvents with an APPROVED event';
    const { response } = await succeeds(what, (cb) =>
      icc.confirmTransactionEvents(instructionId, confirmation(instrument, '19.99'), cb),
    );
    const answer = JSON.parse(response.text);
    expect(what, response.status === 202 && answer.clientCorrelationId, `${response.status} ${response.text}`);
    sentEncrypted(what, lastSent('POST', `/icc/v1/instructions/${instructionId}/confirmations`));
    const state = await instructionState(instructionId);
    expect(what, state.status === 'Confirmed' && state.confirmations === 1, `sandbox state ${show(state)}`);
    ok(`${what}: 202, instruction Confirmed`);
  }
  {
    const what = 'Intelligent Commerce cancelPurchaseIntent on a second instruction';
    const second = await succeeds(what, (cb) => icc.initiatePurchaseIntent(intent(instrument, crypto.randomUUID()), cb));
    const otherId = second.data.instructionId;
    expect(what, otherId && otherId !== instructionId, `second instruction ${second.response.text}`);
    const { data, response } = await succeeds(what, (cb) => icc.cancelPurchaseIntent(otherId, cancellation(), cb));
    expect(what, response.status === 200 && data.status === 'CANCELLED' && data.instructionId === otherId, `${response.status} ${response.text}`);
    sentEncrypted(what, lastSent('PUT', `/icc/v1/instructions/${otherId}/cancel`));
    const state = await instructionState(otherId);
    expect(what, state.status === 'Cancelled', `sandbox status ${state.status}`);
    expect(what, (await instructionState(instructionId)).status === 'Confirmed', 'the first instruction changed');
    ok(`${what}: ${otherId} Cancelled`);
  }

  // Nothing was refused, and nothing left loopback.
  const { authFailures } = await inspect('GET', 'auth-failures');
  expect('the sandbox refused no authentication', authFailures.length === 0, show(authFailures));
  ok('the sandbox refused no authentication (GET /__sandbox/auth-failures is empty)');
  expect('nothing left loopback', leaks.length === 0, show(leaks));
  ok('nothing left loopback');
}

process.on('unhandledRejection', (err) => {
  console.error(`FAIL: unhandled rejection: ${describeError(err)}`);
  process.exit(1);
});

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`FAIL: ${err instanceof Failure ? err.message : describeError(err)}`);
    process.exit(1);
  },
);
