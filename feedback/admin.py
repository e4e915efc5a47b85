from django.contrib import admin

from feedback.models import (
    Activity,
    ApiToken,
    Customer,
    Delivery,
    Endpoint,
    ErasedCustomer,
    FollowUp,
    FollowUpEvent,
    FollowUpSettings,
    ImportJob,
    Intake,
    IntakeDelivery,
    Response,
    SavedMapping,
    SurveyBranding,
    SurveyLink,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "workspace", "segment", "country", "plan", "created_at"]
    search_fields = ["external_id"]
    list_filter = ["workspace", "segment"]


@admin.register(ErasedCustomer)
class ErasedCustomerAdmin(admin.ModelAdmin):
    """The audit of erasures: who erased which pseudonymised customer, when."""

    list_display = ["pseudonym", "workspace", "erased_by", "erased_at"]
    list_filter = ["workspace"]
    readonly_fields = ["workspace", "digest", "pseudonym", "erased_at", "erased_by"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "touchpoint", "nps", "csat", "submitted_at"]
    list_filter = ["source", "workspace"]
    search_fields = ["external_id", "comment"]
    list_select_related = ["touchpoint"]
    raw_id_fields = ["touchpoint", "customer"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "occurred_at", "value"]
    list_filter = ["kind", "workspace"]
    raw_id_fields = ["customer"]


@admin.register(SurveyLink)
class SurveyLinkAdmin(admin.ModelAdmin):
    list_display = ["touchpoint", "created_at", "revoked_at"]
    raw_id_fields = ["touchpoint", "created_by"]


@admin.register(SurveyBranding)
class SurveyBrandingAdmin(admin.ModelAdmin):
    list_display = ["workspace", "accent", "logo_type", "logo_hash"]
    readonly_fields = ["logo_type", "logo_hash"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "workspace", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]
    raw_id_fields = ["created_by"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "workspace", "target", "status", "created_count", "created_at"]
    list_filter = ["status", "target", "workspace"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["layout", "errors"]


@admin.register(SavedMapping)
class SavedMappingAdmin(admin.ModelAdmin):
    list_display = ["source_name", "workspace", "target", "tool", "saved_at"]
    list_filter = ["tool", "target", "workspace"]
    raw_id_fields = ["saved_by"]
    readonly_fields = ["signature", "mapping"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["response", "touchpoint", "status", "assignee", "due_on"]
    list_filter = ["status", "workspace"]
    list_select_related = ["response", "touchpoint", "assignee__user"]
    raw_id_fields = ["response", "touchpoint", "assignee"]


@admin.register(FollowUpEvent)
class FollowUpEventAdmin(admin.ModelAdmin):
    list_display = ["followup", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["actor__user"]
    raw_id_fields = ["followup", "actor", "assignee"]


@admin.register(FollowUpSettings)
class FollowUpSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "trigger", "nps_max", "response_days"]
    raw_id_fields = ["workspace", "journey"]


# Webhooks (feedback.hooks). Secrets are not shown here either: they are shown once, on the
# Webhooks page that creates or rotates them.
@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "touchpoint", "created_at"]
    list_filter = ["kind", "workspace"]
    exclude = ["secret"]
    readonly_fields = ["token", "sample", "sample_at"]
    raw_id_fields = ["touchpoint", "created_by"]


@admin.register(IntakeDelivery)
class IntakeDeliveryAdmin(admin.ModelAdmin):
    list_display = ["intake", "received_at", "outcome", "status", "event_id"]
    list_filter = ["outcome"]
    raw_id_fields = ["intake"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "workspace", "enabled", "failures", "created_at"]
    list_filter = ["enabled", "workspace"]
    exclude = ["secret"]
    raw_id_fields = ["created_by"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["message_id", "endpoint", "event", "status", "attempts", "created_at"]
    list_filter = ["status", "event"]
    raw_id_fields = ["endpoint"]
