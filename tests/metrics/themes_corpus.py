"""A small multilingual corpus whose pain themes are known: Portuguese pain comments are about
late deliveries ("entrega atrasada"), Spanish about a rude agent ("agente grosero"), Romanian
about a wrong invoice ("factură greșită"), English about a broken box ("broken box"); every
language also has pain and other comments about neutral things (the price, the website)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedback.models import Source
from feedback.services import AnswerIn, responses_ingest

START = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday

PAIN = {
    "pt": [
        "Entrega atrasada e ninguém me avisou.",
        "A entrega chegou muito atrasada.",
        "Entregas atrasadas outra vez, que chatice.",
        "Mais uma entrega atrasada, o preço é alto.",
        "O site é lento e a entrega atrasada.",
        "Entrega atrasada!",
    ],
    "es": [
        "El agente fue grosero conmigo.",
        "Agente grosero y lento.",
        "Un agente muy grosero, el precio no importa.",
        "Agentes groseros en la tienda.",
        "La web es buena pero el agente grosero.",
        "Agente grosero otra vez.",
    ],
    "ro": [
        "Factură greșită, din nou.",
        "Am primit o factură greşită.",
        "Facturi greșite și prețul mare.",
        "Factura greșită și site-ul lent.",
        "Iar o factură greșită.",
        "Factură greșită la comandă.",
    ],
    "en": [
        "The box was broken when it arrived.",
        "Broken box and a scratched lamp.",
        "Broken boxes every time.",
        "Price is fine but the broken box annoyed me.",
        "Website fine, broken box.",
        "A broken box again.",
    ],
}
REST = {
    "pt": ["O preço é justo.", "O site é bom.", "Gostei do preço.", "Site rápido e claro."],
    "es": ["El precio es justo.", "La web es clara.", "Buen precio.", "Web rápida y clara."],
    "ro": ["Prețul e corect.", "Site-ul e bun.", "Preț bun.", "Site rapid și clar."],
    "en": ["The price is fair.", "Nice website.", "Good price.", "Fast and clear website."],
}


def load(touchpoint, *, repeat: int = 3, start: datetime = START, prefix: str = "c") -> int:
    """The corpus at one touchpoint, ``repeat`` times, a day apart. Returns the answers stored."""
    answers = []
    n = 0
    for r in range(repeat):
        for language in PAIN:
            for i, text in enumerate(PAIN[language]):
                n += 1
                answers.append(
                    _answer(touchpoint, f"{prefix}p{n}", start, r + i, 2, text, language)
                )
            for i, text in enumerate(REST[language] * 2):
                n += 1
                answers.append(
                    _answer(touchpoint, f"{prefix}r{n}", start, r + i, 9, text, language)
                )
    responses_ingest(
        workspace_id=touchpoint.journey.workspace_id, source=Source.API, answers=answers
    )
    return len(answers)


def _answer(tp, external_id, start, days, nps, text, language) -> AnswerIn:
    return AnswerIn(
        touchpoint_id=tp.pk,
        external_id=external_id,
        submitted_at=start + timedelta(days=days % 6, hours=days // 6),
        nps=nps,
        comment=text,
        language=language,
    )
