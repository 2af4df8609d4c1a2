"""Sans-I/O Awala core: BER/DER, CMS SignedData, RAMF cargo and CCAs, certificates, validation."""
