"""Import luma at collection: luma.core.virtual starts a 4-thread pool for the process lifetime.

Those threads belong to the library (like grpc's poller); starting them here keeps the suite-wide
thread-leak guard meaningful for the threads our own code starts.
"""

import luma.oled.device  # noqa: F401
