"""Neptune's TensorFlow/Keras integration (package neptune-tensorflow-keras), as ``neptune.integrations.tensorflow_keras``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_tensorflow_keras.impl", package="neptune-tensorflow-keras")
