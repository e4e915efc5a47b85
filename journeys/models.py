"""Journeys, their ordered stages and ordered touchpoints, each tagged with its moment of truth."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from mot.models import Membership, Workspace, initials_of


class JourneyState(models.TextChoices):
    CURRENT = "current", _("Current state")
    FUTURE = "future", _("Future state")


class MotStage(models.TextChoices):
    """The moments of truth, in the vocabulary of product.md."""

    ZMOT = "zmot", _("ZMOT")
    FMOT = "fmot", _("FMOT")
    SMOT = "smot", _("SMOT")
    AMOT = "amot", _("AMOT")
    LMOT = "lmot", _("LMOT")


MOT_DESCRIPTIONS = {
    MotStage.ZMOT: _("Zero moment: researching before buying (search, reviews, comparisons)."),
    MotStage.FMOT: _("First moment: first contact with the product or offer; the buy decision."),
    MotStage.SMOT: _("Second moment: living with the product (use, onboarding, support)."),
    MotStage.AMOT: _("Actual moment: the gap between paying and receiving (waiting for delivery)."),
    MotStage.LMOT: _("Last moment: the customer shares the experience, other people's ZMOT."),
}


class Channel(models.TextChoices):
    WEBSITE = "website", _("Website")
    MOBILE_APP = "mobile_app", _("Mobile app")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social media")
    REVIEW_SITE = "review_site", _("Review site")
    SEARCH = "search", _("Search")
    STORE = "store", _("Store")
    IN_PERSON = "in_person", _("In person")
    DELIVERY = "delivery", _("Delivery")
    PRODUCT = "product", _("Product")
    MAIL = "mail", _("Mail")
    OTHER = "other", _("Other")


class Phase(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    USE = "use", _("Use")
    POST_SALE = "post_sale", _("Post-sale")


class Journey(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="journeys", verbose_name=_("workspace")
    )
    name = models.CharField(_("name"), max_length=120)
    persona = models.CharField(_("persona"), max_length=120, blank=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=JourneyState.choices, default=JourneyState.CURRENT
    )
    archived = models.BooleanField(_("archived"), default=False)
    # A copy (e.g. a future state) remembers its source, so the two can be compared.
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        indexes = [models.Index(fields=["workspace", "archived", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=JourneyState.values), name="journey_state_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="stages", verbose_name=_("journey")
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"))
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
    )

    class Meta:
        ordering = ["journey", "position"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["journey", "position"], name="stage_unique_position")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def workspace_id(self) -> int:
        return self.journey.workspace_id


class Touchpoint(models.Model):
    # The journey is stored beside the stage so map-wide queries need no join; services keep
    # touchpoint.journey == touchpoint.stage.journey (a touchpoint never leaves its journey).
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="touchpoints", verbose_name=_("journey")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, related_name="touchpoints", verbose_name=_("stage")
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=160)
    # A short reference that files and the API use to name the touchpoint; unique in the
    # workspace (case-insensitively), which journeys.services checks under a workspace lock.
    code = models.CharField(
        _("code"),
        max_length=40,
        blank=True,
        default="",
        help_text=_("Optional short reference for imports and the API, e.g. CHECKOUT-PAY."),
    )
    description = models.TextField(_("description"), max_length=4000, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.OTHER
    )
    mot_stage = models.CharField(
        _("moment of truth"), max_length=8, choices=MotStage.choices, blank=True, default=""
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.USE)
    owner = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_touchpoints",
        verbose_name=_("owner"),
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["stage__position", "position"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "position"], name="touchpoint_unique_position"
            ),
            models.CheckConstraint(
                condition=models.Q(mot_stage__in=[*MotStage.values, ""]),
                name="touchpoint_mot_stage_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="touchpoint_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(phase__in=Phase.values), name="touchpoint_phase_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["owner"]),
            models.Index(fields=["journey", "mot_stage"]),
            models.Index(Upper("code"), condition=~models.Q(code=""), name="touchpoint_code_upper"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def workspace_id(self) -> int:
        return self.journey.workspace_id

    def clean(self) -> None:
        if self.owner_id and self.journey_id:
            owner_ws = Membership.objects.filter(pk=self.owner_id).values_list(
                "workspace_id", flat=True
            )
            if list(owner_ws) != [self.journey.workspace_id]:
                raise ValidationError({"owner": _("The owner must be a member of this workspace.")})


# --- lanes: the rows of a journey map under its stages ------------------------------------------


class LaneKind(models.TextChoices):
    TOUCHPOINTS = "touchpoints", _("Touchpoints")
    EMOTION = "emotion", _("Emotion curve")
    ACTIONS = "actions", _("Customer actions")
    THOUGHTS = "thoughts", _("Thoughts and feelings")
    PAINS = "pains", _("Pain points")
    OPPORTUNITIES = "opportunities", _("Opportunities")
    BACKSTAGE = "backstage", _("Backstage")
    SUPPORT = "support", _("Supporting processes")
    METRICS = "metrics", _("Metrics")
    TEXT = "text", _("Free text")


# Lanes whose cells hold items a team writes; the others draw what the journey already has.
ITEM_KINDS = frozenset(
    {
        LaneKind.ACTIONS,
        LaneKind.THOUGHTS,
        LaneKind.PAINS,
        LaneKind.OPPORTUNITIES,
        LaneKind.BACKSTAGE,
        LaneKind.SUPPORT,
        LaneKind.TEXT,
    }
)
# At most one lane of these kinds a journey (the touchpoint lane: exactly one).
SINGLE_KINDS = frozenset({LaneKind.TOUCHPOINTS, LaneKind.EMOTION, LaneKind.METRICS})


class Lane(models.Model):
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="lanes", verbose_name=_("journey")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LaneKind.choices)
    # Blank: the kind's own label, in the reader's language.
    name = models.CharField(_("name"), max_length=80, blank=True)
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        ordering = ["journey", "position"]
        verbose_name = _("lane")
        verbose_name_plural = _("lanes")
        constraints = [
            models.UniqueConstraint(fields=["journey", "position"], name="lane_unique_position"),
            models.UniqueConstraint(
                fields=["journey", "kind"],
                condition=models.Q(kind__in=sorted(k.value for k in SINGLE_KINDS)),
                name="lane_single_kinds",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=LaneKind.values), name="lane_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or str(LaneKind(self.kind).label)

    @property
    def workspace_id(self) -> int:
        return self.journey.workspace_id


class ItemStatus(models.TextChoices):
    IDEA = "idea", _("Idea")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")


class LaneItem(models.Model):
    """A note in one cell (stage x lane) of the map; positions are 0..n-1 per cell."""

    # The journey is stored beside lane and stage so the map reads every item in one query.
    journey = models.ForeignKey(
        Journey, on_delete=models.CASCADE, related_name="lane_items", verbose_name=_("journey")
    )
    lane = models.ForeignKey(
        Lane, on_delete=models.CASCADE, related_name="items", verbose_name=_("lane")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, related_name="lane_items", verbose_name=_("stage")
    )
    position = models.PositiveIntegerField(_("position"))
    text = models.TextField(_("text"), max_length=1000)
    # Opportunities only: who carries it and how far it is.
    owner = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lane_items",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.IDEA
    )
    # Opportunities only: the touchpoint (of the same journey) this opportunity creates, shown
    # beside it when a future state is compared with the current one.
    touchpoint = models.ForeignKey(
        "Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("creates the touchpoint"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["lane", "stage", "position"]
        verbose_name = _("lane item")
        verbose_name_plural = _("lane items")
        constraints = [
            models.UniqueConstraint(
                fields=["lane", "stage", "position"], name="laneitem_unique_position"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ItemStatus.values), name="laneitem_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["journey"])]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def workspace_id(self) -> int:
        return self.journey.workspace_id


class LaneFold(models.Model):
    """A lane one member has collapsed: remembered per member, so folding a lane away on one
    screen does not hide it from the rest of the team."""

    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="folds")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lane", "membership"], name="lanefold_unique")
        ]

    def __str__(self) -> str:
        return f"lane {self.lane_id} folded for {self.membership_id}"


# --- personas ---------------------------------------------------------------------------------


class Persona(models.Model):
    """A customer archetype of the workspace, reused across journeys."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="personas", verbose_name=_("workspace")
    )
    name = models.CharField(_("name"), max_length=120)
    quote = models.CharField(_("quote"), max_length=300, blank=True)
    goals = models.TextField(_("goals"), max_length=2000, blank=True)
    frustrations = models.TextField(_("frustrations"), max_length=2000, blank=True)
    # The customers' segment the persona stands for (feedback.models.Customer.segment, matched
    # case-insensitively): the map's emotion curve is drawn per persona from their answers.
    segment = models.CharField(_("segment"), max_length=120, blank=True)
    # A small JPEG re-encoded from the upload (journeys.personas): never the uploaded bytes.
    picture = models.BinaryField(_("picture"), null=True, blank=True, editable=False)
    journeys = models.ManyToManyField(
        Journey, related_name="personas", blank=True, verbose_name=_("journeys")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")

    def __str__(self) -> str:
        return self.name

    @property
    def initials(self) -> str:
        return initials_of(self.name)
