"""The NLU intents that are not FAQs, grouped by what the decision does with them."""
from __future__ import annotations

SMALLTALK = ("greet", "thanks", "goodbye", "bot_challenge")
# The citizen asked for a person, or wrote about their own case, or asked about a procedure the
# knowledge base does not cover, or about a case of a FAQ's topic that its answer does not cover
# (the FAQs' `not_covered` questions): a person answers.
NOT_COVERED = "not_covered"
HANDOFF = ("request_human", "personal_case", "other_procedure", NOT_COVERED)
OUT_OF_SCOPE = ("out_of_scope",)
NON_FAQ = SMALLTALK + HANDOFF + OUT_OF_SCOPE
# Rasa's FallbackClassifier's intent: only for messages without any word (see config.yml).
NLU_FALLBACK = "nlu_fallback"
