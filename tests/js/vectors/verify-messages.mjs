// The official library's verdict on messages we serialised:
//   node verify-messages.mjs FILE...  -> one JSON line per file: deserialize + validate() and fields
import { readFileSync } from 'node:fs';
import core from '@relaycorp/relaynet-core';

const { Cargo, CargoCollectionAuthorization } = core;

for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  const type = bytes[5] === 0x44 ? CargoCollectionAuthorization : Cargo;
  try {
    const message = await type.deserialize(bytes.buffer.slice(bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength));
    await message.validate();
    process.stdout.write(JSON.stringify({
      file, ok: true, id: message.id, recipientId: message.recipient.id,
      internetAddress: message.recipient.internetAddress ?? null,
      creationDate: message.creationDate.toISOString(), ttl: message.ttl,
      senderId: await message.senderCertificate.calculateSubjectId(),
      payloadSize: message.payloadSerialized.length,
      caCertificates: message.senderCaCertificateChain.length,
    }) + '\n');
  } catch (error) {
    process.stdout.write(JSON.stringify({ file, ok: false, error: String(error) }) + '\n');
  }
}
