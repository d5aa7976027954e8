"""The Evolution side of ``ProfilePhotoProvider``: a customer's WhatsApp profile photo through their number's instance.

Evolution v2 answers ``POST /chat/fetchProfilePictureUrl/{instance}`` (``{"number"}``) with ``{"wuid",
"profilePictureUrl"}``: a short-lived WhatsApp CDN address, or null when the customer has no photo or hides it from
this number. The picture is downloaded at once (the address expires); the handler keeps our copy in the media store.
"""

from __future__ import annotations

from ...domain.evolution_instances import EvolutionInstance, EvolutionNumber
from ...service.ports import ProfilePhoto, UnitOfWorkFactory
from ...service.profile_photo_rounds import PhotoSource, PhotoSources
from .client import EvolutionClient


class EvolutionProfilePhotos:
    """One instance's photo reader (one per Evolution number)."""

    supports_profile_photos = True

    def __init__(self, client: EvolutionClient, instance: EvolutionInstance) -> None:
        self._client, self._instance = client, instance

    async def profile_photo(self, phone_number_id: str, wa_id: str) -> ProfilePhoto | None:
        url = await self._client.profile_picture_url(self._instance, wa_id)
        if url is None:
            return None
        picture = await self._client.download_picture(url)
        return ProfilePhoto(picture.data, picture.mime_type)


def photo_source(client: EvolutionClient, number: EvolutionNumber) -> PhotoSource:
    """The number's photo reader, paced per instance (one WhatsApp Web session, however many numbers name it)."""
    instance = number.instance
    return PhotoSource(
        number.phone_number_id,
        f"{instance.base_url.rstrip('/')}/{instance.instance}",
        EvolutionProfilePhotos(client, instance),
    )


def evolution_photo_sources(client: EvolutionClient, uow_factory: UnitOfWorkFactory) -> PhotoSources:
    """``PhotoSources`` for the profile-photo worker: every Evolution number as the account configuration has it now."""

    async def sources() -> list[PhotoSource]:
        async with uow_factory() as uow:
            numbers = await uow.numbers.evolution_numbers()
        return [photo_source(client, number) for number in numbers]

    return sources
