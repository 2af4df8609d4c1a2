"""CogRPC adapters: the server for private gateways and the client for Internet gateways."""
