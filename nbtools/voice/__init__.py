"""Brand voice: profiles (versioned files), voice checks, scoring, rewrites into the voice, and the studio widgets.

Workflow: write a :class:`VoiceProfile` → try custom instructions in the :func:`voice_studio` → answer held-out
:func:`user_questions` with the compare room's set-ups and runner (``nbtools.standard_setups``,
``nbtools.run_comparison``) → score the answers with :func:`score_answers` / :func:`pass_rates` → grow the
training set with :func:`propose_rewrites` and the :func:`review_widget` → :func:`accepted_examples` /
:func:`add_to_dataset`.
"""

from .chat import model_ids, stream_reply
from .checks import (
    CHECK_NAMES,
    Embedder,
    ReadingLevel,
    VoiceCheck,
    VoiceThresholds,
    check_answer,
    check_answers,
    reading_level,
)
from .profile import (
    FieldChange,
    ProfileVersion,
    VoiceProfile,
    diff_profiles,
    list_profiles,
    list_versions,
    load_profile,
    read_profile_file,
    save_profile,
)
from .review import (
    ReviewDecision,
    accepted_examples,
    add_to_dataset,
    pending,
    provenance_path,
    read_decisions,
    record_decision,
    review_progress,
)
from .rewrite import ProposedExample, load_proposals, proposals_frame, propose_rewrites, rewrite_prompt, save_proposals
from .sources import (
    StyleGuide,
    pick_example_answers,
    read_style_guide,
    voice_profile_from_files,
)
from .questions import user_questions
from .scoring import checks_table, pass_rate_chart, pass_rates, score_answers
from .widgets import ReviewWidget, StudioActions, VoiceStudio, review_widget, studio_actions, voice_studio

__all__ = [
    "CHECK_NAMES",
    "Embedder",
    "FieldChange",
    "ProfileVersion",
    "ProposedExample",
    "ReadingLevel",
    "ReviewDecision",
    "ReviewWidget",
    "StudioActions",
    "StyleGuide",
    "VoiceCheck",
    "VoiceProfile",
    "VoiceStudio",
    "VoiceThresholds",
    "accepted_examples",
    "add_to_dataset",
    "check_answer",
    "check_answers",
    "checks_table",
    "diff_profiles",
    "list_profiles",
    "list_versions",
    "load_profile",
    "load_proposals",
    "model_ids",
    "pass_rate_chart",
    "pass_rates",
    "pending",
    "pick_example_answers",
    "proposals_frame",
    "propose_rewrites",
    "provenance_path",
    "read_decisions",
    "read_profile_file",
    "read_style_guide",
    "reading_level",
    "record_decision",
    "review_progress",
    "review_widget",
    "rewrite_prompt",
    "save_profile",
    "save_proposals",
    "score_answers",
    "stream_reply",
    "studio_actions",
    "user_questions",
    "voice_profile_from_files",
    "voice_studio",
]
