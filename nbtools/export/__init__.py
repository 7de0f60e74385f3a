"""Take the data away: export the cleaned dataset in the formats trainers read, with a card and a manifest.

Modules: records (what an example is, FormatLoss), tables (CSV/Parquet rows), sharegpt (LLaMA-Factory/Axolotl
conversations), manifest (hashes, token statistics, verification), card (Hugging Face dataset card),
bundle (export_dataset / import_dataset), check (round-trip check), workflow (the tutorial notebooks' files as export inputs).
"""

from .bundle import (
    DEFAULT_COUNT_MODEL,
    FORMATS,
    ExportOptions,
    ExportResult,
    ImportedDataset,
    export_dataset,
    import_dataset,
    read_examples,
)
from .card import dataset_card
from .check import RoundTripCheck, check_round_trip
from .manifest import FileProblem, ManifestCheck, read_manifest, verify_manifest
from .records import FormatLoss
from .sharegpt import dataset_info, from_sharegpt, read_sharegpt, to_sharegpt, write_sharegpt
from .tables import examples_frame, read_table, write_table
from .workflow import WorkflowInputs, workflow_inputs

__all__ = [
    "DEFAULT_COUNT_MODEL",
    "FORMATS",
    "ExportOptions",
    "ExportResult",
    "FileProblem",
    "FormatLoss",
    "ImportedDataset",
    "ManifestCheck",
    "RoundTripCheck",
    "WorkflowInputs",
    "check_round_trip",
    "dataset_card",
    "dataset_info",
    "examples_frame",
    "export_dataset",
    "from_sharegpt",
    "import_dataset",
    "read_examples",
    "read_manifest",
    "read_sharegpt",
    "read_table",
    "to_sharegpt",
    "verify_manifest",
    "write_sharegpt",
    "workflow_inputs",
    "write_table",
]
