"""neptune-tensorflow-keras: a small Keras model trained for 3 epochs with its NeptuneCallback
(heavy: TensorFlow; run with -m integrations_heavy)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from _common import dump, open_run
from neptune.integrations.tensorflow_keras import NeptuneCallback

run = open_run()
# Seeded after init_run(): the Neptune client draws from Python's global random there (nepnb
# does not), which would give Keras other initial weights under each client.
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
x = np.random.RandomState(0).rand(64, 4).astype("float32")
y = (x.sum(axis=1) > 2).astype("float32")
model = tf.keras.Sequential(
    [
        tf.keras.Input((4,)),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
callback = NeptuneCallback(run=run, base_namespace="training")
model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[callback])
dump(run)
run.stop()
