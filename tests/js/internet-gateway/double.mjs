// An Internet gateway double built on the official libraries: @relaycorp/cogrpc's service
// definition served by @grpc/grpc-js over TLS, messages checked by @relaycorp/relaynet-core.
//   node double.mjs CONFIG.json   (prints "listening PORT" when ready)
// CONFIG: {world, key, cert, mode: normal|unavailable|close-without-acks|stall, record,
//          replyBackdateMinutes (default 5; the real gateway back-dates by 180)}
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import cogrpc from '@relaycorp/cogrpc';
import core from '@relaycorp/relaynet-core';

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

function arrayBuffer(buffer) {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
}

function deliverCargo(call) {
  if (config.mode === 'unavailable') {
    fail(call, grpc.status.UNAVAILABLE, 'the double is unavailable');
    return;
  }
  let pending = 0;
  let ended = false;
  call.on('data', async (delivery) => {
    if (config.mode === 'stall') return;
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
    record({ call: 'deliver', valid,
      sha256: createHash('sha256').update(delivery.cargo).digest('hex') });
    call.write({ id: delivery.id });
    pending -= 1;
    if (ended && pending === 0) call.end();
  });
  call.on('end', () => {
    ended = true;
    if (pending === 0 && config.mode !== 'stall') call.end();
  });
}

async function collectCargo(call) {
  if (config.mode === 'unavailable') {
    fail(call, grpc.status.UNAVAILABLE, 'the double is unavailable');
    return;
  }
  if (config.mode === 'stall') return;
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
    call.write({ id: randomUUID(), cargo });
  }
  record({ call: 'collect', ccaId: cca.id, senderId, replies: sent });
  // As the real Internet gateway: end without waiting for acks.
  call.end();
}

const server = new grpc.Server({ 'grpc.max_receive_message_length': 9_437_184 + 4096 });
server.addService(CargoRelayService, { deliverCargo, collectCargo });
const credentials = grpc.ServerCredentials.createSsl(null, [{
  private_key: readFileSync(config.key), cert_chain: readFileSync(config.cert),
}]);
server.bindAsync('127.0.0.1:0', credentials, (error, port) => {
  if (error) {
    process.stderr.write(`${error}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
