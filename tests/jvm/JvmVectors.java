// Awala messages made and checked by BouncyCastle the way the JVM library (awala-jvm, used by the
// Android gateway and courier) makes and checks them. Compiled and run by tests/interop.
//   java JvmVectors make OUTDIR      -> OUTDIR/*.ramf and OUTDIR/manifest.json
//   java JvmVectors verify FILE...   -> one JSON line per file: BouncyCastle's verdict and fields
// Facts followed (read from awala-jvm, not copied): the field set is a DER SEQUENCE of IMPLICIT
// [0..4] (recipient SEQUENCE {[0] id, [1] address?}, VisibleString id, GeneralizedTime-formatted
// "yyyyMMddHHmmss" UTC, INTEGER ttl, OCTET STRING payload); the ContentInfo is what
// CMSSignedDataGenerator.generate(content, true).getEncoded() gives (BER, indefinite lengths),
// signed with "SHAnWITHRSAANDMGF1", default signed attributes, certificates = signer + chain;
// certificates carry CN=<node id> as BMPString, a 64-bit random serial, BasicConstraints
// (critical) with cA and pathLen both written, SKI = SHA-256(SPKI), AKI = issuer's SKI.
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERGeneralizedTime;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERVisibleString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.Selector;

public final class JvmVectors {
    private static final String BC = "BC";
    private static final DateTimeFormatter RAMF_DATE =
        DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ADDRESS = "belgium.relaycorp.example";

    private JvmVectors() {}

    /** A node: its key pair, its certificate and its id. */
    private record Node(KeyPair keys, X509CertificateHolder certificate, String id) {}

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        if (args.length >= 2 && args[0].equals("make")) {
            make(Paths.get(args[1]));
        } else if (args.length >= 1 && args[0].equals("verify")) {
            for (int i = 1; i < args.length; i++) {
                System.out.println(verify(Paths.get(args[i])));
            }
        } else {
            System.err.println("usage: JvmVectors make OUTDIR | verify FILE...");
            System.exit(2);
        }
    }

    // ---- making ------------------------------------------------------------------------------

    private static void make(Path out) throws Exception {
        Files.createDirectories(out);
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant start = now.minusSeconds(3600);
        Instant created = now.minusSeconds(90 * 60);  // private gateways back-date by 90 min
        List<String> manifest = new ArrayList<>();

        Node internet = node(2048, null, null, start, now.plusSeconds(360L * 86400), true, 2);
        for (int modulus : new int[] {2048, 3072, 4096}) {
            Node sender = node(modulus, internet, internet.keys.getPrivate(), start,
                               now.plusSeconds(180L * 86400), true, 1);
            for (String hash : new String[] {"SHA256", "SHA384", "SHA512"}) {
                List<X509CertificateHolder> chain =
                    modulus == 3072 ? List.of(internet.certificate) : List.of();
                String name = "cargo-internet-" + modulus + "-" + hash + ".ramf";
                byte[] message = message((byte) 0x43, internet.id, ADDRESS, created, 86400,
                                         randomBytes(4096), sender, sender.keys.getPrivate(),
                                         chain, hash);
                manifest.add(save(out, name, message, "cargo", "internet", null, hash));
            }
        }

        Node privateGateway = node(2048, internet, internet.keys.getPrivate(), start,
                                   now.plusSeconds(180L * 86400), true, 1);
        byte[] cca = message((byte) 0x44, internet.id, ADDRESS, created, 14 * 86400,
                             randomBytes(1200), privateGateway,
                             privateGateway.keys.getPrivate(), List.of(), "SHA256");
        manifest.add(save(out, "cca.ramf", cca, "cca", "internet", null, "SHA256"));

        // Cargo for the private gateway, signed by the Internet gateway's key with the cargo
        // delivery authorization (cA=FALSE, pathLen 0) the private gateway issued to it.
        Node authorization = node(0, privateGateway, privateGateway.keys.getPrivate(), start,
                                  now.plusSeconds(30L * 86400), false, 0, internet.keys);
        for (String suffix : new String[] {"no-chain", "chain"}) {
            List<X509CertificateHolder> chain = suffix.equals("chain")
                ? List.of(privateGateway.certificate) : List.of();
            byte[] message = message((byte) 0x43, privateGateway.id, null, now.minusSeconds(600),
                                     86400, randomBytes(2000), authorization,
                                     internet.keys.getPrivate(), chain, "SHA256");
            manifest.add(save(out, "cargo-private-" + suffix + ".ramf", message, "cargo",
                              "private", null, "SHA256"));
        }

        Node sender = node(2048, internet, internet.keys.getPrivate(), start,
                           now.plusSeconds(180L * 86400), true, 1);
        byte[] big = message((byte) 0x43, internet.id, ADDRESS, created, 86400,
                             randomBytes(1024 * 1024), sender, sender.keys.getPrivate(),
                             List.of(), "SHA256");
        manifest.add(save(out, "cargo-internet-1MiB.ramf", big, "cargo", "internet", null,
                          "SHA256"));
        byte[] expired = message((byte) 0x43, internet.id, ADDRESS, now.minusSeconds(7200),
                                 3600, randomBytes(100), sender, sender.keys.getPrivate(),
                                 List.of(), "SHA256");
        manifest.add(save(out, "cargo-expired.ramf", expired, "cargo", "internet",
                          "ExpiredMessageError", "SHA256"));
        Node impostor = node(2048, null, null, start, now.plusSeconds(86400), true, 2);
        byte[] forged = message((byte) 0x43, internet.id, ADDRESS, created, 86400,
                                randomBytes(100), sender, impostor.keys.getPrivate(),
                                List.of(), "SHA256");
        manifest.add(save(out, "cargo-wrong-key.ramf", forged, "cargo", "internet",
                          "InvalidSignatureError", "SHA256"));

        String json = "{\"now\": \"" + now + "\", \"vectors\": [\n  "
            + String.join(",\n  ", manifest) + "\n]}\n";
        Files.writeString(out.resolve("manifest.json"), json);
    }

    private static Node node(int modulus, Node issuer, PrivateKey issuerKey, Instant start,
                             Instant end, boolean ca, int pathLen) throws Exception {
        return node(modulus, issuer, issuerKey, start, end, ca, pathLen, null);
    }

    private static Node node(int modulus, Node issuer, PrivateKey issuerKey, Instant start,
                             Instant end, boolean ca, int pathLen, KeyPair subjectKeys)
            throws Exception {
        KeyPair keys = subjectKeys;
        if (keys == null) {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", BC);
            generator.initialize(modulus);
            keys = generator.generateKeyPair();
        }
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        String id = nodeId(spki);
        X500Name subject = commonName(id);
        Instant expiry = end;
        if (issuer != null && issuer.certificate.getNotAfter().toInstant().isBefore(end)) {
            expiry = issuer.certificate.getNotAfter().toInstant();
        }
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
            issuer == null ? subject : issuer.certificate.getSubject(),
            new BigInteger(64, RANDOM), Date.from(start), Date.from(expiry), subject, spki);
        ASN1EncodableVector constraints = new ASN1EncodableVector(2);
        constraints.add(ASN1Boolean.getInstance(ca));  // written even when FALSE (DEFAULT)
        constraints.add(new ASN1Integer(pathLen));
        builder.addExtension(Extension.basicConstraints, true, new DERSequence(constraints));
        SubjectKeyIdentifier ski = new SubjectKeyIdentifier(sha256(spki.getEncoded()));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ski);
        byte[] authority = issuer == null ? ski.getKeyIdentifier()
            : SubjectKeyIdentifier.fromExtensions(issuer.certificate.getExtensions())
                .getKeyIdentifier();
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                             new AuthorityKeyIdentifier(authority));
        X509CertificateHolder certificate = builder.build(
            new JcaContentSignerBuilder("SHA256WITHRSAANDMGF1").setProvider(BC)
                .build(issuerKey == null ? keys.getPrivate() : issuerKey));
        return new Node(keys, certificate, id);
    }

    private static byte[] message(byte type, String recipientId, String address, Instant created,
                                  int ttl, byte[] payload, Node sender, PrivateKey signingKey,
                                  List<X509CertificateHolder> chain, String hash)
            throws Exception {
        ASN1EncodableVector recipient = new ASN1EncodableVector();
        recipient.add(new DERTaggedObject(false, 0, new DERVisibleString(recipientId)));
        if (address != null) {
            recipient.add(new DERTaggedObject(false, 1, new DERVisibleString(address)));
        }
        ASN1Encodable[] fields = {
            new DERSequence(recipient), new DERVisibleString(UUID.randomUUID().toString()),
            new DERGeneralizedTime(RAMF_DATE.format(created)), new ASN1Integer(ttl),
            new DEROctetString(payload),
        };
        ASN1EncodableVector fieldSet = new ASN1EncodableVector();
        for (int i = 0; i < fields.length; i++) {
            fieldSet.add(new DERTaggedObject(false, i, fields[i]));
        }
        byte[] content = new DERSequence(fieldSet).getEncoded();

        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(
            new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder(hash + "WITHRSAANDMGF1").setProvider(BC)
                           .build(signingKey), sender.certificate));
        List<X509CertificateHolder> certificates = new ArrayList<>();
        certificates.add(sender.certificate);
        certificates.addAll(chain);
        generator.addCertificates(new JcaCertStore(certificates));
        byte[] signedData = generator.generate(new CMSProcessableByteArray(content), true)
            .getEncoded();
        byte[] header = {'A', 'w', 'a', 'l', 'a', type, 0};
        byte[] serialized = new byte[header.length + signedData.length];
        System.arraycopy(header, 0, serialized, 0, header.length);
        System.arraycopy(signedData, 0, serialized, header.length, signedData.length);
        return serialized;
    }

    private static String save(Path out, String name, byte[] message, String kind, String bound,
                               String error, String hash) throws Exception {
        Files.write(out.resolve(name), message);
        String fields = fields(message, error == null);
        return "{\"file\": \"" + name + "\", \"type\": \"" + kind + "\", \"bound\": \"" + bound
            + "\", \"valid\": " + (error == null) + ", \"error\": "
            + (error == null ? "null" : "\"" + error + "\"") + ", \"hash\": \"" + hash + "\", "
            + fields.substring(1);
    }

    // ---- reading back (as awala-jvm deserialises) ----------------------------------------------

    private static String verify(Path file) {
        String quoted = "\"file\": \"" + file.toString().replace("\\", "\\\\") + "\"";
        try {
            byte[] message = Files.readAllBytes(file);
            String fields = fields(message, true);
            return "{" + quoted + ", \"ok\": true, " + fields.substring(1);
        } catch (Exception error) {
            String text = String.valueOf(error).replace("\\", "\\\\").replace("\"", "'");
            return "{" + quoted + ", \"ok\": false, \"error\": \"" + text + "\"}";
        }
    }

    /** Verify the signature (if asked) and return the message's fields as a JSON object. */
    private static String fields(byte[] message, boolean check) throws Exception {
        if (message.length < 7 || !new String(message, 0, 5, StandardCharsets.US_ASCII)
                .equals("Awala") || message[6] != 0) {
            throw new IllegalArgumentException("not an Awala message");
        }
        byte[] cms = new byte[message.length - 7];
        System.arraycopy(message, 7, cms, 0, cms.length);
        CMSSignedData signed = new CMSSignedData(new ByteArrayInputStream(cms));
        Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new IllegalArgumentException("expected one SignerInfo, got " + signers.size());
        }
        SignerInformation signer = signers.iterator().next();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> matches =
            signed.getCertificates().getMatches((Selector<X509CertificateHolder>) signer.getSID());
        if (matches.isEmpty()) {
            throw new IllegalArgumentException("signer certificate not attached");
        }
        X509CertificateHolder certificate = matches.iterator().next();
        if (check && !signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC)
                               .build(certificate))) {
            throw new SecurityException("invalid signature");
        }
        byte[] content = (byte[]) signed.getSignedContent().getContent();
        ASN1Sequence fieldSet = ASN1Sequence.getInstance(content);
        ASN1Sequence recipient = ASN1Sequence.getInstance(
            (ASN1TaggedObject) fieldSet.getObjectAt(0), false);
        String recipientId = visible(recipient.getObjectAt(0));
        String address = recipient.size() > 1 ? visible(recipient.getObjectAt(1)) : null;
        String id = visible(fieldSet.getObjectAt(1));
        String date = new String(ASN1OctetString.getInstance(
            (ASN1TaggedObject) fieldSet.getObjectAt(2), false).getOctets(),
            StandardCharsets.US_ASCII);
        Instant created = java.time.LocalDateTime.parse(
            date, DateTimeFormatter.ofPattern("yyyyMMddHHmmss")).toInstant(ZoneOffset.UTC);
        BigInteger ttl = ASN1Integer.getInstance(
            (ASN1TaggedObject) fieldSet.getObjectAt(3), false).getValue();
        int payloadSize = ASN1OctetString.getInstance(
            (ASN1TaggedObject) fieldSet.getObjectAt(4), false).getOctets().length;
        int others = signed.getCertificates().getMatches(null).size() - 1;
        return "{\"typeOctet\": " + message[5] + ", \"id\": \"" + id + "\", \"recipientId\": \""
            + recipientId + "\", \"internetAddress\": "
            + (address == null ? "null" : "\"" + address + "\"") + ", \"creationDate\": \""
            + created + "\", \"ttl\": " + ttl + ", \"senderId\": \""
            + nodeId(certificate.getSubjectPublicKeyInfo()) + "\", \"payloadSize\": "
            + payloadSize + ", \"caCertificates\": " + others + ", \"size\": " + message.length
            + ", \"digestAlgorithm\": \"" + signer.getDigestAlgOID() + "\", \"signedAttributes\": "
            + signer.getSignedAttributes().size() + "}";
    }

    private static String visible(ASN1Encodable tagged) {
        return new String(ASN1OctetString.getInstance((ASN1TaggedObject) tagged, false)
                              .getOctets(), StandardCharsets.US_ASCII);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static String nodeId(SubjectPublicKeyInfo spki) throws Exception {
        return "0" + HexFormat.of().formatHex(sha256(spki.getEncoded()));
    }

    private static X500Name commonName(String id) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, new DERBMPString(id))
            .build();
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
