// An Internet gateway double built on the official libraries: @relaycorp/cogrpc's service
// definition served by @grpc/grpc-js over TLS, messages checked by @relaycorp/relaynet-core.
//   node double.mjs CONFIG.json   (prints "listening PORT" when ready)
// CONFIG: {world, key, cert, mode: normal|unavailable|close-without-acks|stall|odd-acks, record,
//          replyBackdateMinutes (default 5; the real gateway back-dates by 180),
//          production?: bool, cutSeconds?: 5, idleSeconds?: 30, rate?: bytes per second}
// Production mode is the deployed gateway (PROTOCOL.md section 10: Cloud Run, 5 s timeout, min
// instances 0): every call is cut `cutSeconds` after it starts, and the first call after
// `idleSeconds` without calls answers UNAVAILABLE (cold start). `rate` puts a pacing TCP proxy in
// front (a slow uplink); the port printed is then the proxy's.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import grpc from '@grpc/grpc-js';
import cogrpc from '@relaycorp/cogrpc';
import core from '@relaycorp/relaynet-core';
import { startPacer } from './pacer.mjs';

const { CargoRelayService } = cogrpc;
const {
  Cargo, CargoCollectionAuthorization, CargoCollectionRequest, Certificate, EnvelopedData,
  derDeserializeECDHPrivateKey, derDeserializeRSAPrivateKey,
} = core;

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const manifest = JSON.parse(readFileSync(join(config.world, 'manifest.json'), 'utf8'));
const der = readFileSync(join(config.world, manifest.internetCertificate));
const internetCertificate = Certificate.deserialize(
  der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength));
const usedCcas = new Set();
const identityKey = await derDeserializeRSAPrivateKey(
  readFileSync(join(config.world, manifest.internetKey)));
const sessionKey = await derDeserializeECDHPrivateKey(
  readFileSync(join(config.world, manifest.internetSessionKey)));

function record(event) {
  appendFileSync(config.record, JSON.stringify(event) + '\n');
}

function fail(call, code, details) {
  record({ call: 'status', code, details });
  call.emit('error', { code, details });
}

const cutMs = (config.cutSeconds ?? 5) * 1000;
const idleMs = (config.idleSeconds ?? 30) * 1000;
let lastCall = -Infinity;

// Return true when the call was refused as a cold start; otherwise arm its cut.
function production(call, kind) {
  if (!config.production) return false;
  const now = performance.now();
  const cold = now - lastCall > idleMs;
  lastCall = now;
  if (cold) {
    record({ call: 'cold', kind });
    fail(call, grpc.status.UNAVAILABLE, 'cold start');
    return true;
  }
  const timer = setTimeout(() => {
    if (call.finished) return;
    call.cut = true;
    lastCall = performance.now();
    record({ call: 'cut', kind });
    call.emit('error', { code: grpc.status.UNAVAILABLE, details: `cut after ${cutMs} ms` });
  }, cutMs);
  const settle = () => { call.finished = true; clearTimeout(timer); lastCall = performance.now(); };
  call.on('cancelled', settle);
  call.on('finish', settle);
  return false;
}

function arrayBuffer(buffer) {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
}

function deliverCargo(call) {
  if (config.mode === 'unavailable') {
    fail(call, grpc.status.UNAVAILABLE, 'the double is unavailable');
    return;
  }
  if (production(call, 'deliver')) return;
  let pending = 0;
  let ended = false;
  call.on('data', async (delivery) => {
    if (config.mode === 'stall' || call.cut) return;
    if (config.mode === 'close-without-acks') {
      if (!ended) { ended = true; call.end(); }
      return;
    }
    pending += 1;
    let valid = true;
    try {
      const cargo = await Cargo.deserialize(arrayBuffer(delivery.cargo));
      await cargo.validate();
      if (cargo.recipient.id !== manifest.internetId) throw new Error('not for this gateway');
    } catch (error) {
      valid = false;  // as the real gateway: ack means received, not accepted
    }
    if (call.cut) return;  // arrived, but the call was cut before its ack: not received
    record({ call: 'deliver', valid, size: delivery.cargo.length,
      sha256: createHash('sha256').update(delivery.cargo).digest('hex') });
    if (config.mode === 'odd-acks') {  // hostile: an id never sent, then the real one twice
      call.write({ id: `not-sent-${delivery.id}` });
      call.write({ id: delivery.id });
    }
    call.write({ id: delivery.id });
    pending -= 1;
    if (ended && pending === 0) call.end();
  });
  call.on('end', () => {
    ended = true;
    if (pending === 0 && config.mode !== 'stall' && !call.cut) call.end();
  });
}

async function collectCargo(call) {
  if (config.mode === 'unavailable') {
    fail(call, grpc.status.UNAVAILABLE, 'the double is unavailable');
    return;
  }
  if (config.mode === 'stall') return;
  if (production(call, 'collect')) return;
  const header = String(call.metadata.get('authorization')[0] ?? '');
  const prefix = 'Relaynet-CCA ';
  if (!header.startsWith(prefix)) {
    fail(call, grpc.status.UNAUTHENTICATED, 'missing CCA');
    return;
  }
  let cca;
  try {
    cca = await CargoCollectionAuthorization.deserialize(
      arrayBuffer(Buffer.from(header.slice(prefix.length), 'base64')));
    await cca.validate([internetCertificate]);  // issued by this gateway
  } catch (error) {
    fail(call, grpc.status.UNAUTHENTICATED, `invalid CCA: ${error}`);
    return;
  }
  if (cca.recipient.id !== manifest.internetId) {
    fail(call, grpc.status.INVALID_ARGUMENT, 'CCA for another gateway');
    return;
  }
  if (usedCcas.has(cca.id)) {
    fail(call, grpc.status.PERMISSION_DENIED, 'CCA already used');
    return;
  }
  usedCcas.add(cca.id);
  const senderId = await cca.senderCertificate.calculateSubjectId();
  let authorization;
  try {
    // The request inside the CCA carries the delivery authorization to sign the replies with.
    const envelope = EnvelopedData.deserialize(arrayBuffer(cca.payloadSerialized));
    const request = CargoCollectionRequest.deserialize(await envelope.decrypt(sessionKey));
    authorization = request.cargoDeliveryAuthorization;
  } catch (error) {
    fail(call, grpc.status.UNAUTHENTICATED, `unreadable collection request: ${error}`);
    return;
  }
  const gateway = manifest.gateways.find((g) => g.id === senderId);
  const replies = gateway ? gateway.inbound.length : 0;
  const sent = [];
  for (let i = 0; i < replies; i++) {
    const backdate = (config.replyBackdateMinutes ?? 5) * 60 * 1000;
    const reply = new Cargo({ id: senderId }, authorization, randomBytes(1500),
      { creationDate: new Date(Date.now() - backdate), ttl: 86400 });
    const cargo = Buffer.from(await reply.serialize(identityKey));
    sent.push(createHash('sha256').update(cargo).digest('hex'));
    if (call.cut) return;
    call.write({ id: randomUUID(), cargo });
  }
  if (call.cut) return;
  record({ call: 'collect', ccaId: cca.id, senderId, replies: sent });
  // As the real Internet gateway: end without waiting for acks.
  call.end();
}

const server = new grpc.Server({ 'grpc.max_receive_message_length': 9_437_184 + 4096 });
server.addService(CargoRelayService, { deliverCargo, collectCargo });
const credentials = grpc.ServerCredentials.createSsl(null, [{
  private_key: readFileSync(config.key), cert_chain: readFileSync(config.cert),
}]);
server.bindAsync('127.0.0.1:0', credentials, async (error, port) => {
  if (error) {
    process.stderr.write(`${error}\n`);
    process.exit(1);
  }
  if (config.rate) {
    const pacer = await startPacer(port, config.rate);
    process.on('SIGTERM', () => pacer.close());
    port = pacer.port;
  }
  process.stdout.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
