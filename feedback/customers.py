"""What MOT knows of a customer besides its id: e-mail, name, segment, country, plan and free
attributes, as imports, the API and webhooks send them.

The rule when the same customer arrives again with other values: the latest non-empty value of
each field wins (later in a file, or received later); an empty value never blanks a stored one.
Free attributes merge name by name the same way, up to ``MAX_ATTRIBUTES`` names per customer: a
value for a new name beyond that bound is dropped, the stored ones are kept.

A customer whose personal data an admin erased (feedback.gdpr) is not created again: ingestion
looks up a keyed digest of each incoming customer id among the workspace's erasures, and an
answer naming an erased id is stored without a customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from feedback.countries import COUNTRY_CODES
from feedback.models import Customer, ErasedCustomer
from mot.sql import Identifiers, Sql, fetch, join, sql, value_list

MAX_ATTRIBUTES = 20  # free attribute names per customer
MAX_ATTRIBUTE_NAME = 64
MAX_ATTRIBUTE_VALUE = 200
MAX_TEXT = {"email": 254, "name": 200, "segment": 100, "plan": 100}
FIELDS = ("email", "name", "segment", "country", "plan")


@dataclass(frozen=True, slots=True)
class Profile:
    """A customer's attributes as one answer carries them ("" for a value not given)."""

    email: str = ""
    name: str = ""
    segment: str = ""
    country: str = ""
    plan: str = ""
    attributes: tuple[tuple[str, str], ...] = ()  # (name, value) pairs, in the order given

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in FIELDS) or any(v for _n, v in self.attributes)

    def newer(self, other: Profile) -> Profile:
        """This profile with ``other``'s non-empty values over it (``other`` came later)."""
        merged = {f: getattr(other, f) or getattr(self, f) for f in FIELDS}
        return Profile(
            **merged,
            attributes=tuple(merge_attributes(dict(self.attributes), other.attributes).items()),
        )


def merge_attributes(stored: dict[str, str], newer: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``stored`` with ``newer``'s non-empty values over it, within the bound on names."""
    merged = dict(stored)
    for name, value in newer:
        if value and (name in merged or len(merged) < MAX_ATTRIBUTES):
            merged[name] = value
    return merged


def profile_problems(
    *,
    email: str = "",
    name: str = "",
    segment: str = "",
    country: str = "",
    plan: str = "",
    attributes: Mapping[str, object] | None = None,
) -> list[tuple[str, str]]:
    """What is wrong with these values, as (field, translated reason) pairs."""
    problems: list[tuple[str, str]] = []
    texts = {"email": email, "name": name, "segment": segment, "plan": plan}
    for field, text in texts.items():
        if len(text) > MAX_TEXT[field]:
            problems.append(
                (field, _("is longer than %(max)d characters") % {"max": MAX_TEXT[field]})
            )
    if email and not problems:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(("email", _("is not an e-mail address")))
    if country and country.upper() not in COUNTRY_CODES:
        problems.append(("country", _("is not an ISO 3166 two-letter country code")))
    attributes = attributes or {}
    if len(attributes) > MAX_ATTRIBUTES:
        problems.append(("attributes", _("has more than %(max)d names") % {"max": MAX_ATTRIBUTES}))
    for key, value in attributes.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_ATTRIBUTE_NAME:
            reason = _("a name must be 1 to %(max)d characters") % {"max": MAX_ATTRIBUTE_NAME}
            problems.append(("attributes", reason))
        elif not isinstance(value, str):
            problems.append(("attributes", _("“%(name)s” must be text") % {"name": key}))
        elif len(value) > MAX_ATTRIBUTE_VALUE:
            reason = _("“%(name)s” is longer than %(max)d characters")
            problems.append(("attributes", reason % {"name": key, "max": MAX_ATTRIBUTE_VALUE}))
    return problems


def profile_of(
    *,
    email: str = "",
    name: str = "",
    segment: str = "",
    country: str = "",
    plan: str = "",
    attributes: Mapping[str, str] | None = None,
) -> Profile | None:
    """The profile of checked values (see ``profile_problems``), None when all are empty."""
    profile = Profile(
        email=email.strip(),
        name=name.strip(),
        segment=segment.strip(),
        country=country.strip().upper(),
        plan=plan.strip(),
        attributes=tuple((k.strip(), v.strip()) for k, v in (attributes or {}).items()),
    )
    return profile or None


def profiles_merged(pairs: Iterable[tuple[str, Profile | None]]) -> dict[str, Profile]:
    """Each customer's profile from (customer id, profile) pairs in arrival order."""
    merged: dict[str, Profile] = {}
    for customer, profile in pairs:
        if customer and profile:
            profile_add(merged, customer, profile)
    return merged


def profile_add(merged: dict[str, Profile], customer: str, profile: Profile) -> None:
    """Merge one later profile of ``customer`` into ``merged``."""
    before = merged.get(customer)
    merged[customer] = profile if before is None else before.newer(profile)


def erased_digest(workspace_id: int, external_id: str) -> str:
    """The keyed digest an erasure leaves of a customer id (keyed by SECRET_KEY: a list of
    e-mail addresses cannot be checked against it without the key)."""
    return salted_hmac(
        "mot.feedback.erased-customer", f"{workspace_id}\x1f{external_id}", algorithm="sha256"
    ).hexdigest()


_NAMES = Identifiers(
    Customer._meta.db_table,
    ErasedCustomer._meta.db_table,
    "id",
    "workspace_id",
    "external_id",
    "created_at",
    "digest",
)
# Ids looked up or created per statement: an import's chunk of thousands stays under
# PostgreSQL's 65,535 parameters a statement.
_LOOKUP_BATCH = 1_000


def _names() -> dict[str, Sql]:
    return {
        "customers": _NAMES[Customer._meta.db_table],
        "erased": _NAMES[ErasedCustomer._meta.db_table],
        **{n: _NAMES[n] for n in ("id", "workspace_id", "external_id", "created_at", "digest")},
    }


def customers_get_or_create(
    workspace_id: int,
    external_ids: set[str],
    profiles: Mapping[str, Profile] | None = None,
) -> dict[str, int]:
    """The workspace's customers with these external ids, created where missing, with
    ``profiles`` merged into them. An erased customer's id maps to no customer.

    Two statements at most per thousand ids, written here rather than through the ORM: a
    webhook delivery or an API answer names one customer, and building the ORM's UNION and
    its INSERT cost more than running them. With a single id the statements are prepared once
    per connection (mot.sql.fetch)."""
    ids = sorted(external_ids)
    existing: dict[str, int] = {}
    for start in range(0, len(ids), _LOOKUP_BATCH):
        existing.update(_get_or_create(workspace_id, ids[start : start + _LOOKUP_BATCH]))
    if profiles:
        profiles_apply(workspace_id, {e: p for e, p in profiles.items() if e in existing})
    return existing


def _get_or_create(workspace_id: int, ids: list[str]) -> dict[str, int]:
    one = len(ids) == 1
    digests = {erased_digest(workspace_id, e): e for e in ids}
    existing: dict[str, int] = {}
    blocked: set[str] = set()
    # One statement: the customers found, and the ids erased (marked by an id of 0).
    for key, pk in fetch(
        sql(
            "SELECT {external_id}, {id} FROM {customers}"
            " WHERE {workspace_id} = %s AND {external_id} IN ({ids})"
            " UNION ALL SELECT {digest}, 0 FROM {erased}"
            " WHERE {workspace_id} = %s AND {digest} IN ({digests})",
            workspace_id,
            workspace_id,
            ids=value_list(ids),
            digests=value_list(list(digests)),
            **_names(),
        ),
        prepared=one,
    ):
        if pk == 0:
            blocked.add(digests[key])
        else:
            existing[key] = pk
    missing = [e for e in ids if e not in existing and e not in blocked]
    if not missing:
        return existing
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    created = fetch(
        sql(
            "INSERT INTO {customers} ({workspace_id}, {external_id}, {created_at}) VALUES {rows}"
            " ON CONFLICT ({workspace_id}, {external_id}) DO NOTHING"
            " RETURNING {external_id}, {id}",
            rows=join(", ", (sql("(%s, %s, %s)", workspace_id, e, now) for e in missing)),
            **_names(),
        ),
        prepared=one,
    )
    existing.update(created)
    if len(created) < len(missing):  # another request created some meanwhile: theirs
        existing.update(
            Customer.objects.filter(
                workspace_id=workspace_id,
                external_id__in=[e for e in missing if e not in existing],
            ).values_list("external_id", "pk")
        )
    return existing


_UPDATE_BATCH = 1_000


def profiles_apply(workspace_id: int, profiles: Mapping[str, Profile]) -> int:
    """Merge the profiles into the stored customers (which exist), the incoming values over
    the stored ones; the number of customers changed. Rows are locked in id order while
    merged: two requests about one customer do not lose each other's values."""
    if not profiles:
        return 0
    changed = 0
    ids = sorted(profiles)
    with transaction.atomic():
        for start in range(0, len(ids), _UPDATE_BATCH):
            batch = ids[start : start + _UPDATE_BATCH]
            customers = list(
                Customer.objects.select_for_update()
                .filter(workspace_id=workspace_id, external_id__in=batch, erased_at__isnull=True)
                .order_by("pk")
                .only("pk", "external_id", *FIELDS, "attributes")
            )
            dirty = []
            for customer in customers:
                stored = Profile(
                    **{f: getattr(customer, f) for f in FIELDS},
                    attributes=tuple((customer.attributes or {}).items()),
                )
                merged = stored.newer(profiles[customer.external_id])
                if merged != stored:
                    for f in FIELDS:
                        setattr(customer, f, getattr(merged, f))
                    customer.attributes = dict(merged.attributes)
                    dirty.append(customer)
            if dirty:
                Customer.objects.bulk_update(dirty, [*FIELDS, "attributes"])
                changed += len(dirty)
    return changed
