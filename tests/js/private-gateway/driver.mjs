// A private gateway as the official Awala libraries implement it, driven by the Python tests.
//   node driver.mjs make-world OUTDIR '{"gateways": 2, "outbound": [1024, ...], "inbound": [...],
//                                       "ccas": 1, "authorizationStartsNow": false}'
//   node driver.mjs deliver HOST:PORT FILE...        -> {"acked": [FILE...]}
//   node driver.mjs collect HOST:PORT CCAFILE RECIPIENT_ID -> {"cargo": [...], "errors": [...]}
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cogrpc from '@relaycorp/cogrpc';
import core from '@relaycorp/relaynet-core';

const { CogRPCClient } = cogrpc;
const {
  Cargo, CargoCollectionAuthorization, CargoCollectionRequest, SessionEnvelopedData,
  SessionKeyPair, generateRSAKeyPair, issueGatewayCertificate, issueDeliveryAuthorization,
  getIdFromIdentityKey, derSerializePrivateKey,
} = core;

const INTERNET_ADDRESS = 'gateway.example';
const DAY = 24 * 3600 * 1000;

function buffer(arrayBuffer) {
  return Buffer.from(arrayBuffer);
}

async function makeWorld(outDir, spec) {
  mkdirSync(outDir, { recursive: true });
  const now = new Date();
  const past = new Date(now.getTime() - 3600 * 1000);
  const internetKeys = await generateRSAKeyPair();
  const internetCert = await issueGatewayCertificate({
    issuerPrivateKey: internetKeys.privateKey, subjectPublicKey: internetKeys.publicKey,
    validityStartDate: past, validityEndDate: new Date(now.getTime() + 360 * DAY),
  });
  const internetId = await getIdFromIdentityKey(internetKeys.publicKey);
  // For the Internet-gateway double: its certificate (to validate CCAs against), its identity
  // key (to sign the cargo it returns) and its session key (to open the CCAs' requests).
  const internetSession = await SessionKeyPair.generate();
  writeFileSync(join(outDir, 'internet.cert.der'), buffer(internetCert.serialize()));
  writeFileSync(join(outDir, 'internet.key.der'),
    await derSerializePrivateKey(internetKeys.privateKey));
  writeFileSync(join(outDir, 'internet.session.der'),
    await derSerializePrivateKey(internetSession.privateKey));
  const manifest = { internetId, internetAddress: INTERNET_ADDRESS, gateways: [],
    internetCertificate: 'internet.cert.der', internetKey: 'internet.key.der',
    internetSessionKey: 'internet.session.der' };
  for (let g = 0; g < (spec.gateways ?? 1); g++) {
    const keys = await generateRSAKeyPair();
    const cert = await issueGatewayCertificate({
      issuerPrivateKey: internetKeys.privateKey, issuerCertificate: internetCert,
      subjectPublicKey: keys.publicKey, validityStartDate: past,
      validityEndDate: new Date(now.getTime() + 180 * DAY),
    });
    const id = await getIdFromIdentityKey(keys.publicKey);
    // What the private gateway authorises the Internet gateway to send it (as in a CCA). The
    // Android gateway starts it when it makes the CCA (awala-jvm issueDeliveryAuthorization).
    const authorization = await issueDeliveryAuthorization({
      issuerPrivateKey: keys.privateKey, issuerCertificate: cert,
      subjectPublicKey: internetKeys.publicKey,
      validityStartDate: spec.authorizationStartsNow ? new Date() : past,
      validityEndDate: new Date(now.getTime() + 30 * DAY),
    });
    const entry = { id, cca: `cca-${g}.der`, outbound: [], inbound: [] };
    const created = new Date(now.getTime() - 5 * 60 * 1000);
    // As a private gateway does: the CCA carries, encrypted for the Internet gateway, the
    // delivery authorization the replies must be signed with.
    const request = new CargoCollectionRequest(authorization);
    const { envelopedData } = await SessionEnvelopedData.encrypt(
      request.serialize(), internetSession.sessionKey);
    const cca = new CargoCollectionAuthorization(
      { id: internetId, internetAddress: INTERNET_ADDRESS }, cert,
      Buffer.from(envelopedData.serialize()), { creationDate: created, ttl: 14 * 24 * 3600 });
    writeFileSync(join(outDir, entry.cca), buffer(await cca.serialize(keys.privateKey)));
    // Older CCAs the same gateway gave at earlier syncs (spec.ccas, default 1 in all).
    entry.ccas = [entry.cca];
    for (let k = 1; k < (spec.ccas ?? 1); k++) {
      const older = new CargoCollectionAuthorization(
        { id: internetId, internetAddress: INTERNET_ADDRESS }, cert,
        Buffer.from(envelopedData.serialize()),
        { creationDate: new Date(created.getTime() - k * 60 * 1000), ttl: 14 * 24 * 3600 });
      entry.ccas.push(`cca-${g}-${k}.der`);
      writeFileSync(join(outDir, `cca-${g}-${k}.der`), buffer(await older.serialize(keys.privateKey)));
    }
    for (const [i, size] of (spec.outbound ?? []).entries()) {
      const cargo = new Cargo({ id: internetId, internetAddress: INTERNET_ADDRESS }, cert,
        randomBytes(size), { creationDate: created, ttl: 7 * 24 * 3600 });
      const name = `out-${g}-${i}.cargo`;
      writeFileSync(join(outDir, name), buffer(await cargo.serialize(keys.privateKey)));
      entry.outbound.push(name);
    }
    for (const [i, size] of (spec.inbound ?? []).entries()) {
      const cargo = new Cargo({ id }, authorization, randomBytes(size),
        { creationDate: created, ttl: 7 * 24 * 3600 });
      const name = `in-${g}-${i}.cargo`;
      writeFileSync(join(outDir, name), buffer(await cargo.serialize(internetKeys.privateKey)));
      entry.inbound.push(name);
    }
    manifest.gateways.push(entry);
  }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

async function* relays(files) {
  for (const file of files) {
    yield { localId: file, cargo: readFileSync(file) };
  }
}

async function deliver(host, files) {
  const client = await CogRPCClient.initLan(host);
  const acked = [];
  try {
    for await (const localId of client.deliverCargo(relays(files))) {
      acked.push(localId);
    }
  } finally {
    client.close();
  }
  return { acked };
}

async function collect(host, ccaFile, recipientId) {
  const client = await CogRPCClient.initLan(host);
  const cargo = [];
  const errors = [];
  try {
    for await (const serialized of client.collectCargo(readFileSync(ccaFile))) {
      try {
        const message = await Cargo.deserialize(serialized);
        await message.validate();
        if (message.recipient.id !== recipientId) {
          throw new Error(`cargo for ${message.recipient.id}, not ${recipientId}`);
        }
        cargo.push({ id: message.id, recipientId: message.recipient.id,
          size: serialized.length, sha256: createHash('sha256').update(serialized).digest('hex') });
      } catch (error) {
        errors.push(String(error));
      }
    }
  } finally {
    client.close();
  }
  return { cargo, errors };
}

const [command, ...args] = process.argv.slice(2);
let result;
try {
  if (command === 'make-world') {
    result = await makeWorld(args[0], JSON.parse(args[1] ?? '{}'));
  } else if (command === 'deliver') {
    result = await deliver(args[0], args.slice(1));
  } else if (command === 'collect') {
    result = await collect(args[0], args[1], args[2]);
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error), stack: error.stack }) + '\n');
  process.exitCode = 1;
}
