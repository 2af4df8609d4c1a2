// Interop vectors made by the official @relaycorp/relaynet-core, with the fields it reads back.
//   node make-vectors.mjs OUTDIR   -> OUTDIR/*.ramf and OUTDIR/manifest.json
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import core from '@relaycorp/relaynet-core';

const {
  Cargo, CargoCollectionAuthorization, generateRSAKeyPair, issueGatewayCertificate,
  issueDeliveryAuthorization, getIdFromIdentityKey,
} = core;

const DAY = 24 * 3600 * 1000;
const now = new Date();
now.setMilliseconds(0);
const past = new Date(now.getTime() - 3600 * 1000);
const created = new Date(now.getTime() - 10 * 60 * 1000);
const later = (days) => new Date(now.getTime() + days * DAY);

async function node(modulus, hash, issuer) {
  const keys = await generateRSAKeyPair({ modulus, hashingAlgorithm: hash });
  const certificate = await issueGatewayCertificate({
    issuerPrivateKey: issuer ? issuer.keys.privateKey : keys.privateKey,
    issuerCertificate: issuer ? issuer.certificate : undefined,
    subjectPublicKey: keys.publicKey, validityStartDate: past, validityEndDate: later(300),
  });
  return { keys, certificate, id: await getIdFromIdentityKey(keys.publicKey) };
}

async function describe(message, serialized, extra) {
  const type = message instanceof CargoCollectionAuthorization ? 'cca' : 'cargo';
  const parsed = type === 'cca'
    ? await CargoCollectionAuthorization.deserialize(serialized)
    : await Cargo.deserialize(serialized);
  return {
    type, id: parsed.id, recipientId: parsed.recipient.id,
    internetAddress: parsed.recipient.internetAddress ?? null,
    creationDate: parsed.creationDate.toISOString(), ttl: parsed.ttl,
    expiryDate: parsed.expiryDate.toISOString(),
    senderId: await parsed.senderCertificate.calculateSubjectId(),
    payloadSize: parsed.payloadSerialized.length,
    caCertificates: parsed.senderCaCertificateChain.length, size: serialized.byteLength,
    ...extra,
  };
}

const out = process.argv[2];
mkdirSync(out, { recursive: true });
const vectors = [];
async function save(name, message, key, extra, hash = 'SHA-256') {
  const serialized = await message.serialize(key, { hashingAlgorithmName: hash });
  writeFileSync(join(out, name), Buffer.from(serialized));
  vectors.push({ file: name, hash, ...(await describe(message, serialized, extra)) });
  return Buffer.from(serialized);
}

const internet = await node(2048, 'SHA-256');
const address = 'frankfurt.relaycorp.example';
for (const modulus of [2048, 3072, 4096]) {
  const sender = await node(modulus, 'SHA-256', internet);
  for (const hash of ['SHA-256', 'SHA-384', 'SHA-512']) {
    const chain = modulus === 3072 ? [internet.certificate] : [];
    const cargo = new Cargo({ id: internet.id, internetAddress: address }, sender.certificate,
      randomBytes(4096), { creationDate: created, ttl: 86400, senderCaCertificateChain: chain });
    await save(`cargo-internet-${modulus}-${hash}.ramf`, cargo, sender.keys.privateKey,
      { valid: true, bound: 'internet', modulus }, hash);
  }
}

// Cargo from the Internet gateway to a private gateway: signed with the delivery authorization
// the private gateway issued (cA=FALSE), with and without the recipient's certificate attached.
const privateGateway = await node(2048, 'SHA-256', internet);
const authorization = await issueDeliveryAuthorization({
  issuerPrivateKey: privateGateway.keys.privateKey, issuerCertificate: privateGateway.certificate,
  subjectPublicKey: internet.keys.publicKey, validityStartDate: past, validityEndDate: later(30),
});
for (const [suffix, chain] of [['no-chain', []], ['chain', [privateGateway.certificate]]]) {
  const cargo = new Cargo({ id: privateGateway.id }, authorization, randomBytes(2000),
    { creationDate: created, ttl: 86400, senderCaCertificateChain: chain });
  await save(`cargo-private-${suffix}.ramf`, cargo, internet.keys.privateKey,
    { valid: true, bound: 'private', modulus: 2048 });
}

const cca = new CargoCollectionAuthorization({ id: internet.id, internetAddress: address },
  privateGateway.certificate, randomBytes(1500), { creationDate: created, ttl: 14 * 86400 });
await save('cca.ramf', cca, privateGateway.keys.privateKey,
  { valid: true, bound: 'internet', modulus: 2048 });

// Near the limit: payload just under 8 MiB, the whole message under 9 437 184 bytes.
const big = new Cargo({ id: internet.id, internetAddress: address }, privateGateway.certificate,
  randomBytes(8 * 1024 * 1024 - 512), { creationDate: created, ttl: 86400 });
await save('cargo-near-limit.ramf', big, privateGateway.keys.privateKey,
  { valid: true, bound: 'internet', modulus: 2048 });

// Invalid: expired (created 2 days ago, 1 day TTL) and tampered (a payload byte flipped).
const expired = new Cargo({ id: internet.id, internetAddress: address },
  privateGateway.certificate, randomBytes(100),
  { creationDate: new Date(now.getTime() - 2 * DAY), ttl: 86400 });
await save('cargo-expired.ramf', expired, privateGateway.keys.privateKey,
  { valid: false, error: 'ExpiredMessageError', bound: 'internet', modulus: 2048 });
const good = await save('cargo-to-tamper.ramf', new Cargo(
  { id: internet.id, internetAddress: address }, privateGateway.certificate,
  Buffer.alloc(300, 0x61), { creationDate: created, ttl: 86400 }),
privateGateway.keys.privateKey, { valid: true, bound: 'internet', modulus: 2048 });
const tampered = Buffer.from(good);
tampered[tampered.indexOf(Buffer.alloc(300, 0x61)) + 10] ^= 0x01;
writeFileSync(join(out, 'cargo-tampered.ramf'), tampered);
vectors.push({ file: 'cargo-tampered.ramf', valid: false, error: 'InvalidSignatureError' });

writeFileSync(join(out, 'manifest.json'), JSON.stringify(
  { now: now.toISOString(), library: '@relaycorp/relaynet-core', vectors }, null, 2));
process.stdout.write(JSON.stringify({ count: vectors.length }) + '\n');
