"""Survey answers linked to touchpoints, the customers who gave them, and customer activity.

Every row belongs to one workspace. A response is stored once per (workspace, source, external id),
so the same answer sent twice, by a file re-imported or an API batch replayed, adds nothing.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import JSONField, Q, Value
from django.utils.translation import gettext_lazy as _

from feedback.countries import validate_country
from feedback.experience import NotedExperience, experience_expression
from journeys.models import Touchpoint
from mot.models import Membership, Workspace


class Source(models.TextChoices):
    SURVEY_LINK = "survey_link", _("Survey link")
    API = "api", _("API")
    IMPORT = "import", _("File import")
    DEMO = "demo", _("Demo data")
    TYPEFORM = "typeform", _("Typeform")
    WEBHOOK = "webhook", _("Signed webhook")
    MEMBER = "member", _("Logged by a member")  # a record logged from a touchpoint's card


class Kind(models.TextChoices):
    """What an answer is: a survey answer (scored), or a record someone logged without a score.
    Records count in comment search, themes and follow-ups, never in a metric (metrics.engine
    reads survey answers only)."""

    SURVEY_ANSWER = "survey_answer", _("Survey answer")
    COMPLAINT = "complaint", _("Complaint")
    INTERVIEW = "interview", _("Interview note")
    SOCIAL_POST = "social_post", _("Social post")
    CALL_NOTE = "call_note", _("Call note")


RECORD_KINDS = tuple(k for k in Kind.values if k != Kind.SURVEY_ANSWER)
SCORES = ("nps", "csat", "respect", "solutions", "simplicity", "responsibility", "ces")


class Customer(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="customers", verbose_name=_("workspace")
    )
    external_id = models.CharField(_("customer id"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # What imports, the API and webhooks say of the customer (feedback.customers): the latest
    # non-empty value of each wins; an empty one never blanks a stored value. E-mail and name
    # are personal data, shown only to the roles the policy lets see a customer's contact.
    email = models.EmailField(_("e-mail"), blank=True, default="", db_default="")
    name = models.CharField(_("name"), max_length=200, blank=True, default="", db_default="")
    segment = models.CharField(_("segment"), max_length=100, blank=True, default="", db_default="")
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        default="",
        db_default="",
        validators=[validate_country],
        help_text=_("An ISO 3166 two-letter code such as “PT” or “BR”."),
    )
    plan = models.CharField(_("plan"), max_length=100, blank=True, default="", db_default="")
    # Free attributes: at most MAX_ATTRIBUTES names, each with a short text value.
    attributes = models.JSONField(
        _("attributes"), blank=True, default=dict, db_default=Value({}, JSONField())
    )
    # Set when an admin erased the customer's personal data (a GDPR request).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="customer_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class ErasedCustomer(models.Model):
    """A customer whose personal data an admin erased: who did it and when (the audit), and a
    keyed digest of the erased customer id, so that a later import or API call naming that id
    does not create the customer again (its answers are stored without a customer)."""

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="erased_customers",
        verbose_name=_("workspace"),
    )
    digest = models.CharField(_("digest of the erased id"), max_length=64)
    pseudonym = models.CharField(_("pseudonym"), max_length=200)
    erased_at = models.DateTimeField(_("erased at"), auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
    )

    class Meta:
        verbose_name = _("erased customer")
        verbose_name_plural = _("erased customers")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "digest"], name="erased_customer_digest")
        ]

    def __str__(self) -> str:
        return self.pseudonym


class Response(models.Model):
    # No single-column indexes on the three foreign keys: the composite indexes below lead with
    # each of them, and every extra index slows a million-row import (bench/ingest.py).
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="responses",
        verbose_name=_("workspace"),
        db_index=False,
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        related_name="responses",
        verbose_name=_("touchpoint"),
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("customer"),
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # What it is (a survey answer or a record), not how it arrived (``source``). A database
    # default too: COPY and raw INSERTs (imports, tests) may leave the column out.
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=Kind.choices,
        default=Kind.SURVEY_ANSWER,
        db_default=Kind.SURVEY_ANSWER,
    )
    external_id = models.CharField(_("answer id"), max_length=200)
    submitted_at = models.DateTimeField(_("submitted at"))
    nps = models.PositiveSmallIntegerField(_("NPS (0-10)"), null=True, blank=True)
    csat = models.PositiveSmallIntegerField(_("CSAT (1-5)"), null=True, blank=True)
    respect = models.PositiveSmallIntegerField(_("respect (1-5)"), null=True, blank=True)
    solutions = models.PositiveSmallIntegerField(_("solutions (1-5)"), null=True, blank=True)
    simplicity = models.PositiveSmallIntegerField(_("simplicity (1-5)"), null=True, blank=True)
    responsibility = models.PositiveSmallIntegerField(
        _("responsibility (1-5)"), null=True, blank=True
    )
    # Customer Effort Score: "The company made it easy to handle my issue", 1 (strongly
    # disagree) to 7 (strongly agree). Asked only by the surveys whose editor chose it.
    ces = models.PositiveSmallIntegerField(_("CES (1-7)"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=10_000, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    # How the customer agreed to be reached about this answer (e-mail or phone), if at all.
    # A database default too: COPY and raw INSERTs (imports, tests) may leave the column out.
    contact = models.CharField(_("contact"), max_length=200, blank=True, db_default="")
    # A record's experience as the person who logged it chose it; blank for a survey answer.
    noted_experience = models.CharField(
        _("noted experience"),
        max_length=8,
        choices=NotedExperience.choices,
        blank=True,
        default="",
        db_default="",
    )
    # Glory / neutral / pain, computed by the database from nps and csat, or a record's noted
    # experience (feedback.experience).
    experience = models.GeneratedField(
        expression=experience_expression(),
        output_field=models.CharField(max_length=8, choices=NotedExperience.choices),
        db_persist=True,
        verbose_name=_("experience"),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"], name="response_unique_external_id"
            ),
            # A survey answer has a score; a record has text, a noted experience and no score
            # at all, so that no roll-up reading the scores can ever count it.
            models.CheckConstraint(
                condition=(
                    Q(kind=Kind.SURVEY_ANSWER, noted_experience="")
                    & (Q(nps__isnull=False) | Q(csat__isnull=False))
                )
                | (
                    Q(kind__in=RECORD_KINDS, noted_experience__in=NotedExperience.values)
                    & ~Q(comment="")
                    & Q(**{f"{f}__isnull": True for f in SCORES})
                ),
                name="response_scored_or_record",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10),
                name="response_nps_range",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 1, f"{f}__lte": 5}),
                    name=f"response_{f}_range",
                )
                for f in ("csat", "respect", "solutions", "simplicity", "responsibility")
            ],
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7),
                name="response_ces_range",
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="response_source_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["touchpoint", "submitted_at"]),
            # The explorer's default order (newest first, ties by id) and its experience filter.
            models.Index(fields=["workspace", "submitted_at", "id"], name="response_ws_recent"),
            models.Index(
                fields=["workspace", "experience", "submitted_at"], name="response_ws_experience"
            ),
            models.Index(fields=["customer", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class Activity(models.Model):
    """Something a customer did (a purchase, a renewal, a visit), for retention."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="activities", verbose_name=_("workspace")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="activities", verbose_name=_("customer")
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    external_id = models.CharField(_("activity id"), max_length=200)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="activity_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["customer", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SurveyLink(models.Model):
    """A public, unguessable link to the survey of one touchpoint."""

    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        related_name="survey_links",
        verbose_name=_("touchpoint"),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Blank: the visitor's browser (falling back to the workspace's default language).
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True, default=""
    )
    # Its response rate (issue 17). Opens: survey pages shown (GET), counted by one UPDATE that
    # never runs on the POST that stores an answer. Submissions: answers stored through it,
    # counted when the customer reaches the thank-you page (once per submission). Invited: how
    # many customers were sent it, set by the API or by hand; null while unknown.
    opens = models.PositiveIntegerField(_("opens"), default=0, db_default=0)
    submissions = models.PositiveIntegerField(_("answers"), default=0, db_default=0)
    invited = models.PositiveIntegerField(_("invited"), null=True, blank=True)
    # What its survey asks and says (feedback.surveys.config: title, intro, questions in order
    # with their wording per language and whether they are required, the thank-you text and
    # link, the origins that may frame it). Empty: MOT's default survey. Read by the public
    # page's one SELECT (feedback.surveys.selectors), never cached by a process.
    config = models.JSONField(_("survey"), default=dict, blank=True, db_default={})

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")

    def __str__(self) -> str:
        return f"{self.touchpoint} ({self.token[:6]}…)"

    @property
    def workspace_id(self) -> int:
        return self.touchpoint.journey.workspace_id

    @property
    def response_rate(self) -> float | None:
        """Submissions ÷ invited, in %, where the number invited is known (and not 0)."""
        return 100 * self.submissions / self.invited if self.invited else None


class SurveyBranding(models.Model):
    """A workspace's look on its public surveys: its logo (stored here, served by the survey's
    own URL, feedback.surveys.views.survey_logo) and accent colour. Kept off Workspace, which
    every page loads, so the logo's bytes are read only when the logo is asked for."""

    workspace = models.OneToOneField(
        Workspace,
        on_delete=models.CASCADE,
        related_name="survey_branding",
        verbose_name=_("workspace"),
    )
    logo = models.BinaryField(_("logo"), null=True, blank=True)
    logo_type = models.CharField(_("logo type"), max_length=32, blank=True)  # its MIME type
    # The logo's SHA-256 (first 16 hex digits): in its URL, so a new logo is a new URL and the
    # old one may be cached for good.
    logo_hash = models.CharField(_("logo hash"), max_length=16, blank=True)
    accent = models.CharField(_("accent colour"), max_length=7, blank=True)  # "#rrggbb"

    class Meta:
        verbose_name = _("survey branding")
        verbose_name_plural = _("survey brandings")

    def __str__(self) -> str:
        return str(self.workspace)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A workspace's API token. Only its SHA-256 is stored; the token is shown once."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("workspace")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)  # shown in lists to tell tokens apart
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing: import only if every row is valid")
    VALID_ROWS = "valid_rows", _("Import the valid rows, list the others")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def import_upload_to(job: ImportJob, filename: str) -> str:
    # The user's file name stays in ``original_name``; on disk only a random name, so a name
    # like "../../x" or a very long one never reaches the file system.
    return f"imports/{job.workspace_id}/{secrets.token_hex(16)}"


class ImportJob(models.Model):
    """One uploaded file on its way in: its detected layout, the chosen mapping, the runs' outcome.

    A job can be dry-run any number of times and imported; each run overwrites the outcome.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("workspace")
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    target = models.CharField(_("data"), max_length=16)  # feedback.imports.types.Target
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    layout = models.JSONField(_("detected layout"))
    mapping = models.JSONField(_("column mapping"), null=True, blank=True)
    mode = models.CharField(
        _("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("imported"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates skipped"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    followup_count = models.PositiveIntegerField(_("follow-ups opened"), default=0)
    written = models.BooleanField(_("written"), default=False)
    errors = models.JSONField(_("first row errors"), default=list, blank=True)
    rejected_file = models.FileField(
        _("rejected rows"), upload_to=import_upload_to, max_length=200, blank=True
    )
    message = models.TextField(_("message"), blank=True)
    # Where the proposed mapping came from when a saved one was applied at upload (a copy, not a
    # link: the saved mapping moves on with later imports, this job's page keeps its story).
    remembered_from = models.CharField(_("mapping remembered from"), max_length=255, blank=True)
    remembered_at = models.DateTimeField(_("mapping remembered on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("file import")
        verbose_name_plural = _("file imports")
        indexes = [models.Index(fields=["workspace", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ImportMode.values), name="importjob_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class SavedMapping(models.Model):
    """The column mapping last confirmed for one export's header, proposed for its next files.

    Keyed by the header signature (feedback.imports.presets.header_signature: the normalised
    header rows and the tool that wrote them) and what the file holds, per workspace.
    """

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="saved_mappings",
        verbose_name=_("workspace"),
    )
    signature = models.CharField(_("header signature"), max_length=64)
    target = models.CharField(_("data"), max_length=16)  # feedback.imports.types.Target
    tool = models.CharField(_("exported by"), max_length=32)  # feedback.imports.types.Preset
    mapping = models.JSONField(_("column mapping"))  # feedback.imports.types.Mapping
    mode = models.CharField(
        _("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    source_name = models.CharField(_("file name"), max_length=255)
    saved_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("saved by")
    )
    saved_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("saved column mapping")
        verbose_name_plural = _("saved column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "signature", "target"], name="savedmapping_unique_header"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ImportMode.values), name="savedmapping_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.source_name


# Follow-ups live in their own module of this app; imported here so Django registers them.
from feedback.followups.models import (  # noqa: E402, F401
    FollowUp,
    FollowUpEvent,
    FollowUpSettings,
)
from feedback.hooks.models import (  # noqa: E402, F401
    Delivery,
    Endpoint,
    Intake,
    IntakeDelivery,
)
