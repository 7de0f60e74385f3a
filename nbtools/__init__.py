"""nbtools: make your own ChatGPT by fine-tuning a chat model on your own support conversations.

Notebooks import everything they use from here. Names load lazily, so ``import nbtools`` stays fast and does not
pull in torch until a name that needs it is used.

Workflow, in module order: corpus (read, clean) → dataset (build, split) → validate → tokens / cost → jobs →
compare → voice → export; the local OpenAI-compatible server lives in ``nbtools.server``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it. Keep sorted by module; every name here is documented in the README.
_EXPORTS: dict[str, str] = {
    # errors
    "NbtoolsError": "nbtools.errors",
    "InputError": "nbtools.errors",
    "DataFormatError": "nbtools.errors",
    "ConfigError": "nbtools.errors",
    "BackendError": "nbtools.errors",
    "JobError": "nbtools.errors",
    "ModelNotFoundError": "nbtools.errors",
    # settings
    "home_dir": "nbtools.settings",
    "mask_secret": "nbtools.settings",
    # tokens
    "TokenCounter": "nbtools.tokens",
    "ExampleTokens": "nbtools.tokens",
    "get_encoding": "nbtools.tokens",
    "encoding_name_for_model": "nbtools.tokens",
    "TokenStats": "nbtools.tokens",
    "token_stats": "nbtools.tokens",
    "token_histogram": "nbtools.tokens",
    # base models
    "base_model_dir": "nbtools.basemodels",
    "load_tokenizer": "nbtools.basemodels",
    "DEFAULT_BASE_MODEL": "nbtools.basemodels",
    # local OpenAI-compatible server (start/stop it, get a configured openai client)
    "LocalServer": "nbtools.server.launcher",
    "ensure_local_server": "nbtools.server.launcher",
    "stop_local_server": "nbtools.server.launcher",
    "local_client": "nbtools.server.launcher",
    # local training engine (what the server runs: LoRA fine-tuning and chat on open models, usable in-process)
    "resolve_hyperparameters": "nbtools.server.engine",
    "ChatEngine": "nbtools.server.engine",
    "GenerationParams": "nbtools.server.engine",
    # corpus (read raw exports, clean them with a ledger of every change)
    "read_corpus": "nbtools.corpus",
    "read_corpora": "nbtools.corpus",
    "clean_corpus": "nbtools.corpus",
    "ColumnMapping": "nbtools.corpus",
    "CleaningPipeline": "nbtools.corpus",
    "CleaningResult": "nbtools.corpus",
    "default_steps": "nbtools.corpus",
    "FixUnicode": "nbtools.corpus",
    "StripMarkup": "nbtools.corpus",
    "StripBoilerplate": "nbtools.corpus",
    "RedactPII": "nbtools.corpus",
    "NormalizeWhitespace": "nbtools.corpus",
    "LengthFilter": "nbtools.corpus",
    "LanguageFilter": "nbtools.corpus",
    "SafetyScreen": "nbtools.corpus",
    "ExactDuplicates": "nbtools.corpus",
    "NearDuplicates": "nbtools.corpus",
    "RepeatedMessages": "nbtools.corpus",
    "DropIncompleteConversations": "nbtools.corpus",
    "cleaning_funnel": "nbtools.corpus",
    "cleaning_bars": "nbtools.corpus",
    # cost (price table as data, epochs, training cost, custom instructions vs fine-tuning, lifecycle)
    "ModelPrice": "nbtools.cost",
    "TrainingEstimate": "nbtools.cost",
    "InferenceComparison": "nbtools.cost",
    "LifecycleStatus": "nbtools.cost",
    "load_price_table": "nbtools.cost",
    "price_for": "nbtools.cost",
    "default_epochs": "nbtools.cost",
    "estimate_training": "nbtools.cost",
    "estimate_training_table": "nbtools.cost",
    "compare_inference": "nbtools.cost",
    "compare_inference_on_examples": "nbtools.cost",
    "prompt_tokens_per_request": "nbtools.cost",
    "fine_tuning_status": "nbtools.cost",
    "training_cost_bar": "nbtools.cost",
    "break_even_figure": "nbtools.cost",
    "OptionCost": "nbtools.cost",
    "break_even_monthly_volume": "nbtools.cost",
    "cost_per_1000_by_volume": "nbtools.cost",
    "volume_cost_chart": "nbtools.cost",
    "volume_range": "nbtools.cost",
    "options_from_comparison": "nbtools.cost",
    # moderation (offline approximation of OpenAI's moderation categories)
    "moderate": "nbtools.moderation",
    "ModerationResult": "nbtools.moderation",
    # dataset (build chat examples, split, JSONL)
    "BuildResult": "nbtools.dataset",
    "SplitResult": "nbtools.dataset",
    "SystemPrompts": "nbtools.dataset",
    "build_sft_examples": "nbtools.dataset",
    "build_tool_examples": "nbtools.dataset",
    "build_dpo_pairs": "nbtools.dataset",
    "infer_tool_definitions": "nbtools.dataset",
    "split_examples": "nbtools.dataset",
    "example_text": "nbtools.dataset",
    "read_jsonl": "nbtools.dataset",
    "write_jsonl": "nbtools.dataset",
    "read_system_prompts": "nbtools.dataset",
    # validate (fine-tuning file validator, auto-fix)
    "Issue": "nbtools.validate",
    "ValidationReport": "nbtools.validate",
    "FixReport": "nbtools.validate",
    "validate_file": "nbtools.validate",
    "validate_records": "nbtools.validate",
    "fix_file": "nbtools.validate",
    "token_limit_for": "nbtools.validate",
    # backend (the one place that resolves keys and backends: local by default, OpenAI, any compatible URL)
    "Backend": "nbtools.backend",
    "resolve_backend": "nbtools.backend",
    "connect": "nbtools.backend",
    "ensure_backend": "nbtools.backend",
    "client_backend": "nbtools.backend",
    # jobs (pre-flight, de-duplicated upload, launch, run log, watch, cancel, result file)
    "JobSpec": "nbtools.jobs",
    "Finding": "nbtools.jobs",
    "Preflight": "nbtools.jobs",
    "preflight": "nbtools.jobs",
    "UploadedFile": "nbtools.jobs",
    "upload_file": "nbtools.jobs",
    "launch_job": "nbtools.jobs",
    "JobRecord": "nbtools.jobs",
    "RunLog": "nbtools.jobs",
    "find_jobs": "nbtools.jobs",
    "latest_job": "nbtools.jobs",
    "WatchResult": "nbtools.jobs",
    "watch_job": "nbtools.jobs",
    "cancel_job": "nbtools.jobs",
    "watch_widget": "nbtools.jobs",
    "JobWatcher": "nbtools.jobs",
    "launch_panel": "nbtools.jobs",
    "LaunchPanel": "nbtools.jobs",
    "events_frame": "nbtools.jobs",
    "metrics_frame": "nbtools.jobs",
    "metrics_figure": "nbtools.jobs",
    "list_checkpoints": "nbtools.jobs",
    "read_result_file": "nbtools.jobs",
    "parse_result_file": "nbtools.jobs",
    "result_figure": "nbtools.jobs",
    # compare (run prompts across model set-ups, rate answers blind, win rates, preferences as DPO data)
    "ModelSetup": "nbtools.compare",
    "standard_setups": "nbtools.compare",
    "job_setups": "nbtools.compare",
    "ResultCache": "nbtools.compare",
    "run_comparison": "nbtools.compare",
    "comparison_summary": "nbtools.compare",
    "outputs_table": "nbtools.compare",
    "Pairing": "nbtools.compare",
    "Rating": "nbtools.compare",
    "DpoExport": "nbtools.compare",
    "blind_pairs": "nbtools.compare",
    "record_rating": "nbtools.compare",
    "read_ratings": "nbtools.compare",
    "win_rates": "nbtools.compare",
    "win_rate_chart": "nbtools.compare",
    "export_dpo": "nbtools.compare",
    "CompareWidget": "nbtools.compare",
    "compare_widget": "nbtools.compare",
    # voice (brand voice studio)
    "VoiceProfile": "nbtools.voice",
    "save_profile": "nbtools.voice",
    "load_profile": "nbtools.voice",
    "list_versions": "nbtools.voice",
    "diff_profiles": "nbtools.voice",
    "VoiceThresholds": "nbtools.voice",
    "VoiceCheck": "nbtools.voice",
    "Embedder": "nbtools.voice",
    "check_answer": "nbtools.voice",
    "score_answers": "nbtools.voice",
    "pass_rates": "nbtools.voice",
    "pass_rate_chart": "nbtools.voice",
    "checks_table": "nbtools.voice",
    "propose_rewrites": "nbtools.voice",
    "save_proposals": "nbtools.voice",
    "load_proposals": "nbtools.voice",
    "proposals_frame": "nbtools.voice",
    "read_decisions": "nbtools.voice",
    "accepted_examples": "nbtools.voice",
    "add_to_dataset": "nbtools.voice",
    "voice_studio": "nbtools.voice",
    "review_widget": "nbtools.voice",
    "model_ids": "nbtools.voice",
    "voice_profile_from_files": "nbtools.voice",
    "pick_example_answers": "nbtools.voice",
    "VoiceSetup": "nbtools.voice",
    "collect_answers": "nbtools.voice",
    "user_questions": "nbtools.voice",
    # export (dataset export for other trainers)
    "ExportOptions": "nbtools.export",
    "ExportResult": "nbtools.export",
    "ImportedDataset": "nbtools.export",
    "ManifestCheck": "nbtools.export",
    "FormatLoss": "nbtools.export",
    "export_dataset": "nbtools.export",
    "import_dataset": "nbtools.export",
    "read_examples": "nbtools.export",
    "read_manifest": "nbtools.export",
    "verify_manifest": "nbtools.export",
    "to_sharegpt": "nbtools.export",
    "from_sharegpt": "nbtools.export",
    "workflow_inputs": "nbtools.export",
    "check_round_trip": "nbtools.export",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nbtools' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
