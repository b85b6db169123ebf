"""Every PDF carries its verify address as a clickable link (and the QR code links too)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from certificates import render
from tests.certificates import render_samples as samples


def _links(pdf: bytes) -> list[str]:
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            if action.get("/URI"):
                found.append(str(action["/URI"]))
    return found


@pytest.mark.parametrize(
    "renderer, sample",
    [
        (render.render_progress, samples.progress),
        (render.render_transcript, samples.transcript),
        (render.render_completion, samples.completion),
        (render.render_endorsement, samples.endorsement),
    ],
)
def test_verify_url_is_a_link_in_every_document(renderer, sample):
    data = sample()
    links = _links(renderer(data))
    assert links and set(links) == {data.verify_url}
    assert len(links) == 2  # the printed address and the QR code
