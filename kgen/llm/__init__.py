"""The LLM layer: one client, two backends (an OpenAI-compatible server, an embedded GGUF model).

See :mod:`kgen.llm.client` for caching, concurrency, retries and repair; :mod:`kgen.llm.answers`
for answer specs (bounded JSON schemas); :mod:`kgen.llm.openai_backend` and
:mod:`kgen.llm.embedded` for the backends.
"""

from kgen.llm.answers import (
    AnswerSpec,
    ItemList,
    KeyedSpec,
    KeyedTexts,
    ListSpec,
    Triple,
    TripleList,
    TripleSpec,
)
from kgen.llm.client import Answer, AskFailed, LLMClient, LLMRequest
from kgen.llm.errors import AnswerInvalid, FatalBackendError, GenerationIncomplete
from kgen.llm.settings import LLMSettings, make_client
from kgen.llm.types import Completion, Example, Message, SamplingParams
from kgen.llm.usage import Usage

__all__ = [
    "Answer",
    "AnswerInvalid",
    "AnswerSpec",
    "AskFailed",
    "Completion",
    "Example",
    "FatalBackendError",
    "GenerationIncomplete",
    "ItemList",
    "KeyedSpec",
    "KeyedTexts",
    "LLMClient",
    "LLMRequest",
    "LLMSettings",
    "ListSpec",
    "Message",
    "SamplingParams",
    "Triple",
    "TripleList",
    "TripleSpec",
    "Usage",
    "make_client",
]
