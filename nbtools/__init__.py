"""nbtools: make your own ChatGPT by fine-tuning a chat model on your own support conversations.

Notebooks import everything they use from here. Names load lazily, so ``import nbtools`` stays fast and does not
pull in torch until a name that needs it is used.

Workflow, in module order: corpus (read, clean) → dataset (build, split) → validate → tokens / cost → jobs →
compare → voice → export; the local OpenAI-compatible server lives in ``nbtools.server``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it. Keep sorted by module; every name here is documented in the README.
_EXPORTS: dict[str, str] = {
    # errors
    "NbtoolsError": "nbtools.errors",
    "InputError": "nbtools.errors",
    "DataFormatError": "nbtools.errors",
    "JsonlError": "nbtools.errors",
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
    # local OpenAI-compatible server (start/stop it; connect("local") gives a configured openai client)
    "LocalServer": "nbtools.server.launcher",
    "ensure_local_server": "nbtools.server.launcher",
    "stop_local_server": "nbtools.server.launcher",
    # corpus (read raw exports, clean them with a ledger of every change)
    "read_corpus": "nbtools.corpus",
    "read_corpora": "nbtools.corpus",
    "clean_corpus": "nbtools.corpus",
    "stream_clean": "nbtools.corpus",
    "StreamedCleaning": "nbtools.corpus",
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
    "read_jsonl": "nbtools.jsonl",
    "write_jsonl": "nbtools.jsonl",
    "read_system_prompts": "nbtools.dataset",
    "pseudonymize": "nbtools.dataset",
    "PseudonymResult": "nbtools.dataset",
    "placeholder_counts": "nbtools.dataset",
    "read_facts_sheet": "nbtools.dataset",
    "parse_facts_sheet": "nbtools.dataset",
    "FactsSheet": "nbtools.dataset",
    "Fact": "nbtools.dataset",
    "fact_pairs": "nbtools.dataset",
    "FactPairs": "nbtools.dataset",
    "near_questions": "nbtools.dataset",
    "assert_held_out": "nbtools.dataset",
    "model_paraphraser": "nbtools.dataset",
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
    "user_questions": "nbtools.voice",
    # evals (the evaluation room: suites, built-in checks, runs on any set-up, LLM judge, promptfoo export)
    "EvalCase": "nbtools.evals",
    "EvalSuite": "nbtools.evals",
    "read_suite": "nbtools.evals",
    "facts_suite": "nbtools.evals",
    "validation_suite": "nbtools.evals",
    "Verdict": "nbtools.evals",
    "VoiceRules": "nbtools.evals",
    "voice_rules_from_files": "nbtools.evals",
    "default_checks": "nbtools.evals",
    "stopped_by_itself": "nbtools.evals",
    "no_placeholder": "nbtools.evals",
    "no_pii": "nbtools.evals",
    "no_loop": "nbtools.evals",
    "no_invented_name": "nbtools.evals",
    "voice_check": "nbtools.evals",
    "fact_check": "nbtools.evals",
    "EvalResult": "nbtools.evals",
    "run_eval": "nbtools.evals",
    "eval_summary": "nbtools.evals",
    "eval_scores": "nbtools.evals",
    "eval_chart": "nbtools.evals",
    "eval_choice": "nbtools.evals",
    "best_setup": "nbtools.evals",
    "eval_job": "nbtools.evals",
    "Judge": "nbtools.evals",
    "Agreement": "nbtools.evals",
    "judge_answers": "nbtools.evals",
    "judge_agreement": "nbtools.evals",
    "choice_agreement": "nbtools.evals",
    "promptfoo_config": "nbtools.evals",
    "write_promptfoo_config": "nbtools.evals",
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
    # model export (a fine-tuned model for transformers, llama.cpp, Ollama, vLLM; verified against the server)
    "MODEL_EXPORT_FORMATS": "nbtools.modelexport",
    "ModelExport": "nbtools.modelexport",
    "ModelVerification": "nbtools.modelexport",
    "export_model": "nbtools.modelexport",
    "verify_model_export": "nbtools.modelexport",
    # walkthrough (run the tutorial notebooks unattended as trusted snapshots, summarise what the run made)
    "WalkthroughSummary": "nbtools.walkthrough",
    "walkthrough_summary": "nbtools.walkthrough",
    "run_notebooks": "nbtools.walkthrough",
}

# What editors and type checkers see behind the lazy names above (never run: __getattr__ loads them on use).
# Keep it in step with _EXPORTS (tests/test_public_surface.py checks that both list the same names).
if TYPE_CHECKING:
    from nbtools.errors import (
        NbtoolsError, InputError, DataFormatError, JsonlError, ConfigError, BackendError, JobError, ModelNotFoundError,
    )
    from nbtools.settings import home_dir, mask_secret
    from nbtools.tokens import (
        TokenCounter, ExampleTokens, get_encoding, encoding_name_for_model, TokenStats, token_stats, token_histogram,
    )
    from nbtools.basemodels import base_model_dir, load_tokenizer, DEFAULT_BASE_MODEL
    from nbtools.server.launcher import LocalServer, ensure_local_server, stop_local_server
    from nbtools.corpus import (
        read_corpus, read_corpora, clean_corpus, stream_clean, StreamedCleaning, ColumnMapping, CleaningPipeline,
        CleaningResult, default_steps, FixUnicode, StripMarkup, StripBoilerplate, RedactPII, NormalizeWhitespace,
        LengthFilter, LanguageFilter,
        SafetyScreen, ExactDuplicates, NearDuplicates, RepeatedMessages, DropIncompleteConversations, cleaning_funnel,
        cleaning_bars,
    )
    from nbtools.cost import (
        ModelPrice, TrainingEstimate, InferenceComparison, LifecycleStatus, load_price_table, price_for, default_epochs,
        estimate_training, estimate_training_table, compare_inference, compare_inference_on_examples,
        prompt_tokens_per_request, fine_tuning_status, training_cost_bar, break_even_figure, OptionCost,
        break_even_monthly_volume, cost_per_1000_by_volume, volume_cost_chart, volume_range, options_from_comparison,
    )
    from nbtools.moderation import moderate, ModerationResult
    from nbtools.dataset import (
        BuildResult, SplitResult, SystemPrompts, build_sft_examples, build_tool_examples, build_dpo_pairs,
        infer_tool_definitions, split_examples, example_text, read_system_prompts, pseudonymize, PseudonymResult,
        placeholder_counts, read_facts_sheet, parse_facts_sheet, FactsSheet, Fact, fact_pairs, FactPairs,
        near_questions, assert_held_out, model_paraphraser,
    )
    from nbtools.jsonl import read_jsonl, write_jsonl
    from nbtools.validate import (
        Issue, ValidationReport, FixReport, validate_file, validate_records, fix_file, token_limit_for,
    )
    from nbtools.backend import Backend, resolve_backend, connect, ensure_backend, client_backend
    # (mypy takes `preflight`, a function and a submodule of nbtools.jobs, for a second definition)
    from nbtools.jobs import (  # type: ignore[no-redef]
        JobSpec, Finding, Preflight, preflight, UploadedFile, upload_file, launch_job, JobRecord, RunLog, find_jobs,
        latest_job, WatchResult, watch_job, cancel_job, watch_widget, JobWatcher, launch_panel, LaunchPanel,
        events_frame, metrics_frame, metrics_figure, list_checkpoints, read_result_file, parse_result_file,
        result_figure,
    )
    from nbtools.compare import (
        ModelSetup, standard_setups, job_setups, ResultCache, run_comparison, comparison_summary, outputs_table,
        Pairing, Rating, DpoExport, blind_pairs, record_rating, read_ratings, win_rates, win_rate_chart, export_dpo,
        CompareWidget, compare_widget,
    )
    from nbtools.voice import (
        VoiceProfile, save_profile, load_profile, list_versions, diff_profiles, VoiceThresholds, VoiceCheck, Embedder,
        check_answer, score_answers, pass_rates, pass_rate_chart, checks_table, propose_rewrites, save_proposals,
        load_proposals, proposals_frame, read_decisions, accepted_examples, add_to_dataset, voice_studio, review_widget,
        model_ids, voice_profile_from_files, pick_example_answers, user_questions,
    )
    from nbtools.evals import (
        EvalCase, EvalSuite, read_suite, facts_suite, validation_suite, Verdict, VoiceRules, voice_rules_from_files,
        default_checks, stopped_by_itself, no_placeholder, no_pii, no_loop, no_invented_name, voice_check, fact_check,
        EvalResult, run_eval, eval_summary, eval_scores, eval_chart, eval_choice, best_setup, eval_job, Judge,
        Agreement, judge_answers, judge_agreement, choice_agreement, promptfoo_config, write_promptfoo_config,
    )
    from nbtools.export import (
        ExportOptions, ExportResult, ImportedDataset, ManifestCheck, FormatLoss, export_dataset, import_dataset,
        read_examples, read_manifest, verify_manifest, to_sharegpt, from_sharegpt, workflow_inputs, check_round_trip,
    )
    from nbtools.modelexport import (
        MODEL_EXPORT_FORMATS, ModelExport, ModelVerification, export_model, verify_model_export,
    )
    from nbtools.walkthrough import WalkthroughSummary, walkthrough_summary, run_notebooks

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
