#!/usr/bin/env node
// Checkout.com's own Node SDK (npm checkout-sdk-node 5.2.1), unmodified,
// against payclient-sandbox: only the base URL and the credentials differ
// from a merchant's setup.
//
// Reads the variables `payclient-sandbox` prints (CHECKOUT_ENVIRONMENT,
// CHECKOUT_SECRET_KEY, CHECKOUT_CLIENT_ID, CHECKOUT_CLIENT_SECRET,
// CHECKOUT_TOKEN_URL), prints `ok - <what>` per check and exits 1 at the
// first failure. CommonJS, Node 20, no package but the SDK.
'use strict';

const { Checkout } = require('checkout-sdk-node');
// The SDK has no call for GET /payment-sessions/{id}; its own HTTP helper
// (the one every endpoint class uses) makes it.
const sdkHttp = require('checkout-sdk-node/dist/services/http.js');

// Shapes the vendor documents (ids in the API reference, keys in the SDK).
const SESSION_ID = /^ps_[A-Za-z0-9]{1,64}$/;
const PAYMENT_ID = /^pay_[a-z2-7]{26}$/;
const SESSION_SECRET = /^pss_[0-9a-f-]{36}$/;
const SECRET_KEY = /^sk_sbox_[a-z2-7]{26}[a-z2-7*#$=]$/;
const CLIENT_ID = /^ack_[a-z2-7]{26}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

class Failure extends Error {}

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Failure(
      `${name} is not set: start payclient-sandbox and source the \`export\` lines it prints`,
    );
  }
  return value;
}

function check(what, condition, detail) {
  if (!condition) {
    throw new Failure(detail === undefined ? what : `${what}: ${detail}`);
  }
  console.log(`ok - ${what}`);
}

const show = (value) => JSON.stringify(value);
// A credential in a failure message: its kind and length, never its value
// (the variables could hold a real key).
const masked = (value) =>
  typeof value === 'string' ? `${value.slice(0, value.startsWith('Bearer ') ? 11 : 4)}… (${value.length} characters)` : show(value);

// Runs `call`, which must fail; returns the SDK's error.
async function sdkError(what, call) {
  let answer;
  try {
    answer = await call();
  } catch (err) {
    return err;
  }
  throw new Failure(`${what}: expected an error, the call answered ${show(answer)}`);
}

// The SDK's default HTTP client is the global fetch. This wrapper records
// what the SDK sends and refuses anything but loopback. For OAuth it also
// routes the token request: the SDK takes the token URL only from
// `config.environment` (a fixed Checkout.com host picked by name, never from
// `host`) or from a merchant subdomain, and neither accepts a URL, so the one
// URL the SDK computed is sent to the sandbox's /connect/token instead.
const realFetch = globalThis.fetch;
const sent = [];
const tokenRoutes = new Map();
globalThis.fetch = async (input, init = {}) => {
  let url = String(input);
  const routed = tokenRoutes.get(url);
  if (routed) url = routed;
  if (!LOOPBACK.has(new URL(url).hostname)) {
    throw new Failure(`the SDK tried to leave loopback: ${init.method} ${url}`);
  }
  const response = await realFetch(url, init);
  const record = {
    method: String(init.method || 'GET').toUpperCase(),
    asked: String(input),
    url,
    headers: { ...(init.headers || {}) },
    status: response.status,
    json: undefined,
  };
  if (routed && response.ok) record.json = await response.clone().json();
  sent.push(record);
  return response;
};

function sessionRequest(overrides = {}) {
  return {
    amount: 1000,
    currency: 'GBP',
    reference: 'ORD-5023-4E89',
    payment_type: 'Regular',
    billing: {
      address: {
        address_line1: '123 High St.',
        city: 'London',
        zip: 'SW1A 1AA',
        country: 'GB',
      },
    },
    customer: { name: 'Jia Tsang', email: 'jia.tsang@example.com' },
    success_url: 'https://example.com/payments/success',
    failure_url: 'https://example.com/payments/failure',
    processing_channel_id: 'pc_ovo75iz4hdyudnx6tu74mum3fq',
    '3ds': { enabled: true },
    metadata: { order_channel: 'web', basket_size: 3 },
    ...overrides,
  };
}

function submitRequest(amount, overrides = {}) {
  return {
    session_data: '{SESSION_DATA_FROM_FLOW}',
    amount,
    reference: 'ORD-5023-4E89',
    ip_address: '203.0.113.7',
    ...overrides,
  };
}

function isThreeDs(answer) {
  const action = answer && answer.action;
  if (!action || action.type !== '3ds' || typeof action.url !== 'string') return false;
  const url = new URL(action.url);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
}

async function createdSession(what, cko) {
  const session = await cko.paymentSessions.request(sessionRequest());
  const last = sent[sent.length - 1];
  check(
    `${what}: 201, ps_ id`,
    last.status === 201 && SESSION_ID.test(session.id),
    `${last.status} ${show(session)}`,
  );
  return session;
}

async function run() {
  const base = env('CHECKOUT_ENVIRONMENT').replace(/\/+$/, '');
  const key = env('CHECKOUT_SECRET_KEY');
  const clientId = env('CHECKOUT_CLIENT_ID');
  const clientSecret = env('CHECKOUT_CLIENT_SECRET');
  const tokenUrl = env('CHECKOUT_TOKEN_URL');
  for (const [name, value] of [
    ['CHECKOUT_ENVIRONMENT', base],
    ['CHECKOUT_TOKEN_URL', tokenUrl],
  ]) {
    if (!LOOPBACK.has(new URL(value).hostname)) {
      throw new Failure(`${name}=${value} is not on loopback`);
    }
  }

  // --- credentials' shapes, as the SDK and its docs give them
  check("the sandbox's secret key passes the SDK's sandbox key pattern", SECRET_KEY.test(key), masked(key));
  check(
    'the OAuth client id is an access key id: ack_ (as the SDK documents), 26 base32',
    CLIENT_ID.test(clientId),
    clientId,
  );

  const cko = new Checkout(key, { host: base });
  check(
    'the SDK sends the secret key as a Bearer token',
    cko.config.sk === `Bearer ${key}`,
    masked(cko.config.sk),
  );

  // --- create
  const session = await createdSession('create a payment session (secret key)', cko);
  let last = sent[sent.length - 1];
  check(
    'the SDK sent POST /payment-sessions with Authorization: Bearer <secret key>',
    last.method === 'POST' &&
      last.url === `${base}/payment-sessions` &&
      last.headers.Authorization === `Bearer ${key}`,
    `${last.method} ${last.url} ${masked(last.headers.Authorization)}`,
  );
  check(
    'payment_session_secret is pss_ and a UUID',
    SESSION_SECRET.test(session.payment_session_secret || ''),
    show(session.payment_session_secret),
  );
  check(
    'payment_session_token is present',
    typeof session.payment_session_token === 'string' && session.payment_session_token.length > 8,
    show(session.payment_session_token),
  );
  check(
    '_links.self names the session on the sandbox',
    session._links && session._links.self.href === `${base}/payment-sessions/${session.id}`,
    show(session._links),
  );

  // --- read it back through the SDK's HTTP helper
  const read = await sdkHttp.get(
    cko.config.httpClient,
    `${base}/payment-sessions/${session.id}`,
    cko.config,
    cko.config.sk,
  );
  check(
    'GET /payment-sessions/{id}: 200, Active, the amount, currency and reference sent',
    read.status === 200 &&
      read.json.id === session.id &&
      read.json.status === 'Active' &&
      read.json.amount === 1000 &&
      read.json.currency === 'GBP' &&
      read.json.reference === 'ORD-5023-4E89',
    show(read),
  );
  check(
    'the answer carries a cko-request-id',
    typeof read.headers['cko-request-id'] === 'string' && read.headers['cko-request-id'] !== '',
    show(read.headers),
  );
  const unknown = await sdkError('GET an unknown session', () =>
    sdkHttp.get(
      cko.config.httpClient,
      `${base}/payment-sessions/ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn`,
      cko.config,
      cko.config.sk,
    ),
  );
  check('GET an unknown session: 404', unknown.status === 404, show(unknown));

  // --- submit: approved
  const paid = await cko.paymentSessions.submit(session.id, submitRequest(1000));
  last = sent[sent.length - 1];
  check(
    'submit 1000: 201 Approved, type card',
    last.status === 201 && paid.status === 'Approved' && paid.type === 'card',
    `${last.status} ${show(paid)}`,
  );
  check('the payment id is pay_ and 26 base32', PAYMENT_ID.test(paid.id), paid.id);
  const after = await sdkHttp.get(
    cko.config.httpClient,
    `${base}/payment-sessions/${session.id}`,
    cko.config,
    cko.config.sk,
  );
  check('the session now names that payment', after.json.payment_id === paid.id, show(after.json));

  // --- submit: 3DS
  const forThreeDs = await createdSession('create a session for 3DS', cko);
  const challenged = await cko.paymentSessions.submit(forThreeDs.id, submitRequest(1050));
  last = sent[sent.length - 1];
  check(
    'submit 1050: 202 Action Required with a 3DS redirect URL',
    last.status === 202 && challenged.status === 'Action Required' && isThreeDs(challenged),
    `${last.status} ${show(challenged)}`,
  );
  check('the 3DS payment id is pay_ and 26 base32', PAYMENT_ID.test(challenged.id), challenged.id);

  // --- submit: declined
  const toDecline = await createdSession('create a session to decline', cko);
  const declined = await cko.paymentSessions.submit(toDecline.id, submitRequest(1005));
  last = sent[sent.length - 1];
  check(
    'submit 1005: 201 Declined',
    last.status === 201 && declined.status === 'Declined',
    `${last.status} ${show(declined)}`,
  );

  // --- complete: a session and its payment in one call
  let done = await cko.paymentSessions.complete(
    sessionRequest({ session_data: '{SESSION_DATA_FROM_FLOW}' }),
  );
  last = sent[sent.length - 1];
  check(
    'complete 1000: 201 Approved, a new ps_ id and pss_ secret',
    last.url === `${base}/payment-sessions/complete` &&
      last.status === 201 &&
      done.status === 'Approved' &&
      PAYMENT_ID.test(done.id) &&
      SESSION_ID.test(done.payment_session_id || '') &&
      SESSION_SECRET.test(done.payment_session_secret || ''),
    `${last.status} ${show(done)}`,
  );
  done = await cko.paymentSessions.complete(
    sessionRequest({ amount: 1050, session_data: '{SESSION_DATA_FROM_FLOW}' }),
  );
  last = sent[sent.length - 1];
  check(
    'complete 1050: 202 with a 3DS redirect URL',
    last.status === 202 && isThreeDs(done),
    `${last.status} ${show(done)}`,
  );

  // --- 422 request_invalid, as the SDK surfaces them
  const noAmount = sessionRequest();
  delete noAmount.amount;
  let err = await sdkError('create without an amount', () => cko.paymentSessions.request(noAmount));
  check(
    'create without an amount: ValidationError 422 request_invalid [amount_required]',
    err.name === 'ValidationError' &&
      err.http_code === 422 &&
      err.body.error_type === 'request_invalid' &&
      Array.isArray(err.body.error_codes) &&
      err.body.error_codes.includes('amount_required') &&
      typeof err.body.request_id === 'string',
    show(err),
  );
  err = await sdkError('create with a 51-character reference', () =>
    cko.paymentSessions.request(sessionRequest({ reference: 'R'.repeat(51) })),
  );
  check(
    'create with a 51-character reference: 422 [reference_invalid]',
    err.http_code === 422 && show(err.body.error_codes) === show(['reference_invalid']),
    show(err),
  );
  const before = sent.length;
  err = await sdkError('create with currency gbp', () =>
    cko.paymentSessions.request(sessionRequest({ currency: 'gbp' })),
  );
  check(
    "create with currency 'gbp': the SDK's own check refuses it before any request",
    err.name === 'ValueError' && sent.length === before,
    show(err),
  );
  const toSubmitBadly = await createdSession('create a session to submit badly', cko);
  err = await sdkError('submit with currency gbp', () =>
    cko.paymentSessions.submit(toSubmitBadly.id, submitRequest(1000, { currency: 'gbp' })),
  );
  check(
    "submit with currency 'gbp' (the SDK does not check it there): 422 [currency_invalid]",
    err.http_code === 422 &&
      err.body.error_type === 'request_invalid' &&
      show(err.body.error_codes) === show(['currency_invalid']),
    show(err),
  );
  err = await sdkError('submit without session_data', () =>
    cko.paymentSessions.submit(toSubmitBadly.id, submitRequest(1000, { session_data: undefined })),
  );
  check(
    'submit without session_data: 422 request_invalid [session_data_required]',
    err.http_code === 422 &&
      err.body.error_type === 'request_invalid' &&
      show(err.body.error_codes) === show(['session_data_required']),
    show(err),
  );

  // --- wrong keys
  const wrong = `sk_sbox_${'a'.repeat(26)}q`;
  if (wrong === key) throw new Failure('the wrong key is the sandbox key');
  err = await sdkError('create with a wrong secret key', () =>
    new Checkout(wrong, { host: base }).paymentSessions.request(sessionRequest()),
  );
  check(
    'a wrong secret key: AuthenticationError 401',
    err.name === 'AuthenticationError' &&
      err.http_code === 401 &&
      sent[sent.length - 1].status === 401,
    show(err),
  );
  // A key outside the SDK's patterns goes out without "Bearer ".
  err = await sdkError('create with a malformed key', () =>
    new Checkout('sk_sbox_not-a-key', { host: base }).paymentSessions.request(sessionRequest()),
  );
  last = sent[sent.length - 1];
  check(
    'a malformed key (sent without Bearer by the SDK): 401',
    err.http_code === 401 && last.headers.Authorization === 'sk_sbox_not-a-key',
    `${show(err)} ${masked(last.headers.Authorization)}`,
  );

  // --- OAuth client credentials
  const oauth = new Checkout(clientSecret, {
    client: clientId,
    scope: ['payment-sessions'],
    environment: 'sandbox',
    host: base,
  });
  const vendorTokenUrl = oauth.config.environment.getOAuthAuthorizationApi();
  check(
    "OAuth: the SDK's own token URL is a checkout.com host (so it must be routed)",
    /^https:\/\/access\.(sandbox\.)?checkout\.com\/connect\/token$/.test(vendorTokenUrl),
    vendorTokenUrl,
  );
  tokenRoutes.set(vendorTokenUrl, tokenUrl);
  const firstToken = sent.length;
  const viaOAuth = await oauth.paymentSessions.request(sessionRequest());
  const tokens = sent.slice(firstToken).filter((r) => r.asked === vendorTokenUrl);
  check(
    "OAuth: the SDK fetched a token from the sandbox's /connect/token",
    tokens.length === 1 &&
      tokens[0].url === tokenUrl &&
      tokens[0].method === 'POST' &&
      tokens[0].status === 200 &&
      tokens[0].json.token_type === 'Bearer' &&
      typeof tokens[0].json.access_token === 'string',
    show(sent.slice(firstToken).map((r) => [r.method, r.url, r.status])),
  );
  check(
    'OAuth: the token answer gives expires_in in seconds',
    Number.isInteger(tokens[0].json.expires_in) && tokens[0].json.expires_in > 60,
    show(tokens[0].json.expires_in),
  );
  const issued = new Set(
    sent.filter((r) => r.asked === vendorTokenUrl && r.json).map((r) => r.json.access_token),
  );
  const usedToken = (record) =>
    issued.has(String(record.headers.Authorization || '').replace(/^Bearer /, '')) &&
    String(record.headers.Authorization).startsWith('Bearer ');
  last = sent[sent.length - 1];
  check(
    'OAuth: create with the fetched token: 201, ps_ id',
    last.status === 201 && SESSION_ID.test(viaOAuth.id) && usedToken(last),
    `${last.status} ${show(viaOAuth)} ${masked(last.headers.Authorization)}`,
  );
  // The SDK keeps the expiry as now + expires_in milliseconds (3.6 s for an
  // hour), so a slow run may fetch again; each call must use an issued token.
  const paidViaOAuth = await oauth.paymentSessions.submit(viaOAuth.id, submitRequest(1000));
  last = sent[sent.length - 1];
  check(
    'OAuth: submit 1000 with the token: 201 Approved',
    last.status === 201 && paidViaOAuth.status === 'Approved' && usedToken(last),
    `${last.status} ${show(paidViaOAuth)}`,
  );
  const readViaOAuth = await sdkHttp.get(
    oauth.config.httpClient,
    `${base}/payment-sessions/${viaOAuth.id}`,
    oauth.config,
    undefined,
  );
  last = sent[sent.length - 1];
  check(
    'OAuth: GET the session with the token: 200, it names the payment',
    readViaOAuth.status === 200 &&
      readViaOAuth.json.payment_id === paidViaOAuth.id &&
      usedToken(last),
    show(readViaOAuth),
  );

  const badOAuth = new Checkout(`${clientSecret}-wrong`, {
    client: clientId,
    scope: ['payment-sessions'],
    environment: 'sandbox',
    host: base,
  });
  tokenRoutes.set(badOAuth.config.environment.getOAuthAuthorizationApi(), tokenUrl);
  err = await sdkError('OAuth with a wrong client secret', () =>
    badOAuth.paymentSessions.request(sessionRequest()),
  );
  last = sent[sent.length - 1];
  check(
    'OAuth: a wrong client secret is refused at /connect/token (401 invalid_client)',
    err.name === 'AuthenticationError' &&
      err.http_code === 401 &&
      err.body.error === 'invalid_client' &&
      last.url === tokenUrl,
    show(err),
  );
}

run().then(
  () => {
    console.log('all checks passed');
  },
  (err) => {
    const what =
      err instanceof Failure
        ? err.message
        : `${(err && err.name) || 'error'}: ${err && err.message} ${show(err)}`;
    console.error(`not ok - ${what}`);
    process.exitCode = 1;
  },
);
