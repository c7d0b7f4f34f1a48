"""Import TensorFlow without its C++ start-up chatter.

TensorFlow 2.21 writes oneDNN and CUDA notices straight to the process's
stderr before any logging setting applies, burying a command's own output.
The import (and the device probe that prints the CUDA notice) run with file
descriptor 2 pointed at /dev/null; Python exceptions are unaffected. Set
``EVOLVE_TF_LOGS=1`` to see everything.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _silenced_stderr():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """The ``tensorflow`` module, imported quietly the first time."""
    if "tensorflow" in sys.modules or os.environ.get("EVOLVE_TF_LOGS"):
        import tensorflow

        return tensorflow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _silenced_stderr():
        import tensorflow

        tensorflow.config.list_physical_devices()
    # Every candidate is a new model with new traced functions; TensorFlow's
    # "retracing" warnings about that would flood a campaign's output.
    tensorflow.get_logger().setLevel("ERROR")
    return tensorflow
