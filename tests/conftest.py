"""Suite-wide settings: quiet TensorFlow, and no GPU surprises in CI."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
