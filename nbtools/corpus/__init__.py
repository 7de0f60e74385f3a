"""Raw support corpora → a clean canonical message table, with every dropped or changed row accounted for.

Modules: schema (the canonical table, column detection), readers (CSV/JSONL/text/DataFrame → messages + rejects),
steps (the step contract and the ledger record), text / boilerplate / pii / dedup / safety / structure (the cleaning
steps), pipeline (run steps, check the books), report (figures); for corpora of any size: streaming (chunks of whole
conversations through the same steps, results written as they come), workers (the per-conversation steps in worker
processes), dask_engine (the same on a Dask cluster), sinks (Parquet and CSV writers).
"""

from .boilerplate import StripBoilerplate
from .dedup import ExactDuplicates, NearDuplicates, RepeatedMessages
from .pii import RedactPII
from .pipeline import AccountingError, CleaningPipeline, CleaningResult, default_steps
from .readers import CorpusRead, CorpusStream, read_corpora, read_corpus
from .report import cleaning_bars, cleaning_funnel
from .safety import SafetyScreen
from .schema import ColumnMapping, DetectedFormat
from .steps import Change, Drop, Keep, RowStep, Step, StepOutcome
from .streaming import StreamedCleaning, stream_clean
from .structure import DropIncompleteConversations
from .text import FixUnicode, LanguageFilter, LengthFilter, NormalizeWhitespace, StripMarkup

__all__ = [
    "AccountingError",
    "Change",
    "CleaningPipeline",
    "CleaningResult",
    "ColumnMapping",
    "CorpusRead",
    "CorpusStream",
    "DetectedFormat",
    "Drop",
    "DropIncompleteConversations",
    "ExactDuplicates",
    "FixUnicode",
    "Keep",
    "LanguageFilter",
    "LengthFilter",
    "NearDuplicates",
    "NormalizeWhitespace",
    "RedactPII",
    "RepeatedMessages",
    "RowStep",
    "SafetyScreen",
    "Step",
    "StepOutcome",
    "StreamedCleaning",
    "StripBoilerplate",
    "StripMarkup",
    "cleaning_bars",
    "cleaning_funnel",
    "default_steps",
    "read_corpora",
    "read_corpus",
    "stream_clean",
]


def clean_corpus(read, steps=None) -> CleaningResult:
    """Run the default (or given) cleaning steps over a read corpus: ``clean_corpus(read_corpora([...]))``."""
    return CleaningPipeline(steps).run(read)


__all__.append("clean_corpus")
