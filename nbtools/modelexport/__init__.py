"""Take a fine-tuned model of the local server anywhere: PEFT adapter, merged Hugging Face model, GGUF (f16, q8_0),
Ollama (GGUF + Modelfile) and vLLM's LoRA layout, each with a model card, and verified against the server.

    >>> from nbtools.modelexport import MODEL_EXPORT_FORMATS
    >>> MODEL_EXPORT_FORMATS
    ('adapter', 'merged', 'gguf', 'ollama', 'vllm')

``export_model(model_id, format="merged", out="export/merged")`` writes the export;
``verify_model_export("export/merged").passed`` reloads it in its own runtime and compares its greedy answers with the
ones the local server gave at export time (token counts included), and fails when the chat template or the
end-of-turn token drifted on the way. This is the *model* export; :mod:`nbtools.export` exports datasets.
"""

from __future__ import annotations

from .export import MODEL_EXPORT_FORMATS, ModelExport, export_model, read_manifest
from .verify import ModelVerification, verify_model_export

__all__ = ["MODEL_EXPORT_FORMATS", "ModelExport", "export_model", "read_manifest", "ModelVerification",
           "verify_model_export"]
