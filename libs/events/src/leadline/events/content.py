"""What a WhatsApp message says: one frozen model per content kind, discriminated on ``kind``.

Three unions name which kinds may appear where: ``InboundContent`` (what a customer
can send), ``OutboundContent`` (what an agent can send) and ``Content`` (anything a
conversation can hold, including echoes from the WhatsApp Business app).
Adding a kind is a new payload version: consumers on the old version would refuse it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from leadline.events.common import NonEmptyText, PersonName, Value, WaId, Wamid

ContentKind = Literal[
    "text", "image", "audio", "voice", "video", "gif", "document", "sticker", "location",
    "contacts", "reaction", "interactive_reply", "button", "template", "unsupported",
]  # fmt: skip

MimeType = Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$", max_length=255)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class StoredMedia(Value):
    """Our own copy of a media file in the media store."""

    key: NonEmptyText
    """The object's key inside the media store; stable across store migrations."""
    uri: NonEmptyText
    """Where the object can be read today (``s3://bucket/key``)."""
    size_bytes: int = Field(ge=0)
    sha256: Sha256Hex
    """Hex SHA-256 of the bytes we stored."""


class MediaUnavailable(Value):
    """Why leadline has no copy of a media file: WhatsApp's file expired or is gone, or fetching it failed for good."""

    reason: NonEmptyText
    """What went wrong, as ingest saw it (WhatsApp's error, or the network's)."""
    error_code: int | None = None
    """WhatsApp's error code, when WhatsApp answered with one."""
    retryable: bool
    """Whether fetching it again may still work (WhatsApp was down or slow, not "this file is gone")."""


class MediaRef(Value):
    """A media file: WhatsApp's id for it, our stored copy, or both.

    Invariants: at least one of ``provider_media_id`` and ``stored`` is set, and never both
    ``stored`` and ``unavailable``. Inbound media starts with the provider id only (being
    fetched), then gets ``stored`` or ``unavailable``; outbound media starts stored only.
    """

    provider_media_id: NonEmptyText | None = None
    """WhatsApp's media id, valid for download for a limited time."""
    mime_type: MimeType
    sha256: str | None = None
    """The hash exactly as WhatsApp gave it; not re-encoded."""
    stored: StoredMedia | None = None
    unavailable: MediaUnavailable | None = None
    """Why there is no stored copy (none while it is being fetched); added compatibly in v1."""

    @model_validator(mode="after")
    def _has_a_source(self) -> MediaRef:
        if self.provider_media_id is None and self.stored is None:
            raise ValueError("media needs a provider_media_id or a stored copy")
        if self.stored is not None and self.unavailable is not None:
            raise ValueError("stored media is not unavailable")
        return self


class _Kind(Value):
    """Base of every content kind; ``kind`` is the discriminator and always on the wire."""

    kind: str  # narrowed to a Literal by each kind; declared here so it serialises first

    model_config = ConfigDict(
        json_schema_extra=lambda schema, _: schema.update(required=sorted({"kind", *schema.get("required", [])}))
    )


class _Media(_Kind):
    media: MediaRef


class _CaptionedMedia(_Media):
    caption: str | None = None


class TextContent(_Kind):
    kind: Literal["text"] = "text"
    body: NonEmptyText
    preview_url: bool = False
    """Whether WhatsApp should render a preview of the first link (outbound only)."""


class ImageContent(_CaptionedMedia):
    kind: Literal["image"] = "image"


class AudioContent(_Media):
    """An audio file; recorded voice notes are ``VoiceContent``."""

    kind: Literal["audio"] = "audio"


class VoiceContent(_Media):
    """A voice note: WhatsApp audio flagged ``voice: true``."""

    kind: Literal["voice"] = "voice"


class VideoContent(_CaptionedMedia):
    kind: Literal["video"] = "video"


class GifContent(_CaptionedMedia):
    """A looping GIF: WhatsApp sends it as a video flagged as GIF."""

    kind: Literal["gif"] = "gif"


class DocumentContent(_CaptionedMedia):
    kind: Literal["document"] = "document"
    filename: str | None = None


class StickerContent(_Media):
    kind: Literal["sticker"] = "sticker"
    animated: bool = False


class LocationContent(_Kind):
    kind: Literal["location"] = "location"
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None
    url: str | None = None


class SharedPhone(Value):
    phone: NonEmptyText
    """The number as the sender's address book has it; not normalised."""
    wa_id: WaId | None = None
    """WhatsApp id of the number, when WhatsApp knows it."""
    type: str | None = None
    """The address-book label (``CELL``, ``WORK``...)."""


class SharedContact(Value):
    formatted_name: PersonName
    phones: tuple[SharedPhone, ...] = ()
    emails: tuple[str, ...] = ()
    origin: str | None = None
    """Why WhatsApp sent the card, in Meta's words: ``contact_request`` when the customer answered a "request
    contact info" button (the card holds their own number), ``other`` for a contact they chose to share."""

    @property
    def answers_contact_request(self) -> bool:
        return self.origin == "contact_request"


class ContactsContent(_Kind):
    """Address-book cards shared in the chat."""

    kind: Literal["contacts"] = "contacts"
    contacts: tuple[SharedContact, ...] = Field(min_length=1)


class ReactionContent(_Kind):
    """An emoji reaction to an earlier message; an empty emoji removes the reaction."""

    kind: Literal["reaction"] = "reaction"
    reacted_to_wamid: Wamid
    emoji: str

    @property
    def removed(self) -> bool:
        return self.emoji == ""


class InteractiveReplyContent(_Kind):
    """The customer tapped a reply button or picked a list row of an interactive message."""

    kind: Literal["interactive_reply"] = "interactive_reply"
    reply_type: Literal["button_reply", "list_reply"]
    reply_id: NonEmptyText
    title: str
    description: str | None = None


class ButtonContent(_Kind):
    """The customer tapped a quick-reply button of a template message."""

    kind: Literal["button"] = "button"
    payload: str | None = None
    text: str


class TemplateContent(_Kind):
    """An approved template message sent by the business (outbound only)."""

    kind: Literal["template"] = "template"
    name: NonEmptyText
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]
    """WhatsApp's template language code (``pt_BR``)."""
    parameters: tuple[str, ...] = ()
    """Body parameters in order ({{1}}, {{2}}, ...)."""
    text: str | None = None
    """The template as the customer reads it (header, body with its parameters, footer), when the approved template
    was known at sending: for the conversation, search and the timeline. WhatsApp itself gets name, language and
    parameters only."""


class UnsupportedContent(_Kind):
    """A message WhatsApp could not deliver to us or that leadline cannot show."""

    kind: Literal["unsupported"] = "unsupported"
    original_type: NonEmptyText
    """WhatsApp's ``type`` for the message (``unsupported``, ``order``, ``system``...)."""
    error_code: int | None = None
    """Meta's error for this message (``131051`` type unknown, ``131000`` could not render...), if it gave one."""
    error_title: str | None = None
    error_details: str | None = None
    """Meta's ``error_data.details`` (``Message type is currently not supported.``); added compatibly in v1."""
    raw: dict[str, Any] = Field(default_factory=dict)
    """The original message object as WhatsApp sent it, for later reprocessing."""


Content = Annotated[
    TextContent | ImageContent | AudioContent | VoiceContent | VideoContent | GifContent
    | DocumentContent | StickerContent | LocationContent | ContactsContent | ReactionContent
    | InteractiveReplyContent | ButtonContent | TemplateContent | UnsupportedContent,
    Field(discriminator="kind"),
]  # fmt: skip

InboundContent = Annotated[
    TextContent | ImageContent | AudioContent | VoiceContent | VideoContent | GifContent
    | DocumentContent | StickerContent | LocationContent | ContactsContent | ReactionContent
    | InteractiveReplyContent | ButtonContent | UnsupportedContent,
    Field(discriminator="kind"),
]  # fmt: skip

OutboundContent = Annotated[
    TextContent | ImageContent | AudioContent | VoiceContent | VideoContent | DocumentContent
    | LocationContent | ContactsContent | TemplateContent,
    Field(discriminator="kind"),
]  # fmt: skip


def kinds_of(union: Any) -> dict[str, type[Value]]:
    """The content models of one of the unions above, by ``kind``."""
    members = get_args(get_args(union)[0])
    return {model.model_fields["kind"].default: model for model in members}


MEDIA_KINDS: frozenset[str] = frozenset(kind for kind, model in kinds_of(Content).items() if issubclass(model, _Media))


def is_media(kind: str) -> bool:
    """Whether content of this kind carries a media file (a ``MediaRef``)."""
    return kind in MEDIA_KINDS


def text_of(content: Value) -> str | None:
    """The words a person would read in this content, if any: body, caption or reply text."""
    for attribute in ("body", "caption", "text", "title", "emoji"):
        value = getattr(content, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None
