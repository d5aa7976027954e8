"""The fake Evolution API's customers' profile photos, as Evolution v2 and WhatsApp's CDN give them.

- ``POST /chat/fetchProfilePictureUrl/{instance}`` (``apikey`` header, ``{"number"}``) answers ``{"wuid",
  "profilePictureUrl"}``: a short-lived picture address, or ``null`` for a customer with no photo or a private one
  (Evolution answers null whatever Baileys' reason).
- ``GET /_fake/pictures/{digits}.jpg?oe=…``: the picture, as WhatsApp's CDN serves it — signed in the URL,
  no key, and refused (403) once ``oe`` (the expiry, hex Unix seconds, as WhatsApp writes it) has passed.
- ``PUT /_fake/customers/{number}/photo`` (``{"photo": "portrait" | "new" | "none"}``): the customer
  changes their photo, or removes or hides it. Everyone starts with the portrait (``samples/profile.jpg``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from leadline.fakegraph.samples import Sample

PORTRAIT = Sample("profile.jpg", "image/jpeg")
NEW_PORTRAIT = Sample("photo.jpg", "image/jpeg")  # the customer now shows their car
URL_LIFETIME_S = 600
Photo = Literal["portrait", "new", "none"]
Refusal = Callable[[str, str | None], JSONResponse | None]
"""The fake server's API key check: Evolution's 401 or 404 for (instance, apikey), or None when the call may go."""


@dataclass
class FakeProfilePhotos:
    """Each customer's photo by their digits; a customer not named shows the portrait."""

    photos: dict[str, Photo] = field(default_factory=dict)

    def photo_of(self, number: str) -> Sample | None:
        chosen = self.photos.get(digits(number), "portrait")
        return None if chosen == "none" else NEW_PORTRAIT if chosen == "new" else PORTRAIT


class PhotoChange(BaseModel):
    photo: Photo


class NumberBody(BaseModel):
    number: str


def digits(number: str) -> str:
    """``5511987654321@s.whatsapp.net``, ``+55 11 98765-4321`` → ``5511987654321``."""
    return "".join(ch for ch in number.partition("@")[0] if ch.isdigit())


def profile_photo_router(photos: FakeProfilePhotos, *, refusal: Refusal) -> APIRouter:
    router = APIRouter(tags=["fake evolution: profile photos"])

    @router.post("/chat/fetchProfilePictureUrl/{instance}", response_model=None)
    async def fetch_profile_picture_url(
        instance: str, body: NumberBody, request: Request, apikey: str | None = Header(None)
    ) -> dict[str, str | None] | JSONResponse:
        if refused := refusal(instance, apikey):
            return refused
        number = digits(body.number)
        wuid = f"{number}@s.whatsapp.net"
        if photos.photo_of(number) is None:
            return {"wuid": wuid, "profilePictureUrl": None}
        expires = format(int(time.time()) + URL_LIFETIME_S, "x")
        return {
            "wuid": wuid,
            "profilePictureUrl": f"{str(request.base_url).rstrip('/')}/_fake/pictures/{number}.jpg?oe={expires}",
        }

    @router.get("/_fake/pictures/{number}.jpg")
    async def picture(number: str, oe: str) -> Response:
        try:
            expired = int(oe, 16) < time.time()
        except ValueError:
            expired = True
        if expired:
            raise HTTPException(403, "URL signature expired")
        sample = photos.photo_of(number)
        if sample is None:
            raise HTTPException(404, "no picture")
        return Response(sample.read(), media_type=sample.mime_type)

    @router.put("/_fake/customers/{number}/photo")
    async def change_photo(number: str, change: PhotoChange) -> dict[str, str]:
        photos.photos[digits(number)] = change.photo
        return {"number": digits(number), "photo": change.photo}

    return router
