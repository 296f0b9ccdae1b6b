"""Provider adapters: each turns one provider's stream events into text deltas keyed by output.

An adapter takes the decoded JSON payload of each event (``payload(data, event)``) and returns ``Update``s:
``TextDelta`` (the answer's text), ``RefusalDelta``, ``ToolCallDelta`` (a fragment of one tool call's JSON
arguments, with its id and name on the first), ``Finished`` (the output ended, with the provider's reason).
Provider errors raise ``midstream.ProviderError``.
"""

from midstream.providers._updates import Finished, RefusalDelta, TextDelta, ToolCallDelta, Update
from midstream.providers.registry import PROVIDERS, Adapter, adapter_for

__all__ = [
    "PROVIDERS",
    "Adapter",
    "Finished",
    "RefusalDelta",
    "TextDelta",
    "ToolCallDelta",
    "Update",
    "adapter_for",
]
