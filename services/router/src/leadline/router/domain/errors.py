"""Why the router refuses a command, in the product's words."""

from __future__ import annotations


class RouterError(Exception):
    """Base of every refusal; ``code`` is stable for API clients."""

    code = "refused"


class ConversationNotFound(RouterError):
    """Missing, or not visible to this agent: the two are indistinguishable on purpose (no existence leak)."""

    code = "not_found"


class AlreadyClaimed(RouterError):
    code = "already_claimed"

    def __init__(self, owner_id: str, owner_name: str) -> None:
        super().__init__(f"{owner_name} already took this conversation")
        self.owner_id = owner_id
        self.owner_name = owner_name


class OpenConversationInPool(RouterError):
    """Starting from a lead whose customer already waits in the pool: that conversation is the one to take."""

    code = "open_conversation_in_pool"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            "this customer already has a conversation waiting in the pool: open it and take it "
            "(Add lead) to answer there"
        )
        self.conversation_id = conversation_id


class CustomerTalkingElsewhere(RouterError):
    """Starting from a lead whose customer is in a conversation this agent cannot see (no existence or owner leaked)."""

    code = "customer_in_another_conversation"


class NotInAgentsPool(RouterError):
    code = "not_in_your_pool"


class NotAllowedToSend(RouterError):
    code = "cannot_send"


class ConversationFinished(RouterError):
    code = "conversation_finished"


class OutsideServiceWindow(RouterError):
    """WhatsApp's rule: 24 h after the customer last wrote, only a template message may be sent."""

    code = "outside_service_window"


class NoTemplatesOnThisNumber(RouterError):
    """A WhatsApp Web (Evolution) number has no approved templates: its messages are free text at any time."""

    code = "no_templates_on_number"


class NoPhoneOnLead(RouterError):
    code = "lead_has_no_phone"


class InvalidCustomerPhone(RouterError):
    """The number to start a conversation with is not a phone number."""

    code = "invalid_phone"


class BusinessNumberNotForTeam(RouterError):
    code = "number_not_linked_to_team"


class ChooseBusinessNumber(RouterError):
    code = "choose_business_number"

    def __init__(self, options: list[str]) -> None:
        super().__init__("the lead's team can use several business numbers: choose one")
        self.options = options


class ConcurrentChange(RouterError):
    """Someone else changed the conversation first; the handler reloads and decides again."""

    code = "concurrent_change"


class MediaNotFound(RouterError):
    """The message has no such media (or no such message), or its file is not stored (yet)."""

    code = "media_not_found"


class MediaFetchNotRetryable(RouterError):
    """Fetching this media again cannot work: it is stored already, still being fetched, or gone from WhatsApp."""

    code = "media_not_retryable"


class TemplateNotApproved(RouterError):
    """No approved template by that name in that language on the number's WhatsApp Business Account."""

    code = "template_not_found"


class TemplateParameterCount(RouterError):
    """The template's body takes another number of parameters."""

    code = "template_parameters"

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected
