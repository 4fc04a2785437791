"""transformers' NeptuneCallback driven through its callback methods, as the Trainer calls
them: train begin, logs at several steps, evaluation, train end.

Without torch (which this test leaves out), transformers' TrainingArguments cannot be made, so
the arguments are a small object with what the callback reads of them; the callback, the
TrainerState and the TrainerControl are transformers' own.
"""

from __future__ import annotations

from _common import collect, open_run, write
from neptune.integrations.transformers import NeptuneCallback
from transformers import TrainerControl, TrainerState


class Arguments:
    """What NeptuneCallback reads of TrainingArguments."""

    output_dir = "out"
    overwrite_output_dir = False
    save_total_limit = None

    def to_sanitized_dict(self) -> dict[str, object]:
        # As transformers makes it: bool, int, float and str values, str() of the others.
        return {
            "output_dir": "out",
            "learning_rate": 1e-3,
            "num_train_epochs": 3.0,
            "per_device_train_batch_size": 8,
            "seed": 1,
            "fp16": False,
            "lr_scheduler_type": "linear",
            "report_to": "[]",
            "run_name": "None",
            "train_batch_size": 8,
        }


run = open_run()
args = Arguments()
state = TrainerState(is_world_process_zero=True, is_local_process_zero=True)
control = TrainerControl()
callback = NeptuneCallback(run=run, base_namespace="finetuning")
callback.on_init_end(args, state, control)
callback.on_train_begin(args, state, control)
for step in range(1, 6):
    state.global_step = step
    logs = {"loss": 1.0 / step, "learning_rate": 1e-3 * (1 - step / 10), "epoch": step / 5}
    callback.on_log(args, state, control, logs=logs)
metrics = {"eval_loss": 0.25, "eval_accuracy": 0.875}
callback.on_evaluate(args, state, control, metrics=metrics)
callback.on_log(args, state, control, logs={**metrics, "train_runtime": 12.5, "total_flos": 7.0})
result = collect(callback.run)
callback.on_train_end(args, state, control)  # stops the run, as at the end of training
write({**result, "state_after_train_end": run.get_state()})
